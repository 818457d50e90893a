import type { Logger } from '../logging/logger.js';
import { AcmeSubsystem } from '../acme/subsystem.js';
import { HttpSubsystem } from '../http/subsystem.js';
import { QueueSubsystem } from '../queue/subsystem.js';
import { SmtpSubsystem } from '../smtp/subsystem.js';
import { StorageSubsystem } from '../spool/subsystem.js';
import { AdminSubsystem } from '../admin/subsystem.js';
import { HookSubsystem } from '../events/subsystem.js';
import { TlsRptSubsystem } from '../tls-policy/tls-rpt-subsystem.js';
import type { SmtpSubsystem as Smtp } from '../smtp/subsystem.js';
import type { RuntimeContext, Subsystem } from './subsystem.js';
import { StartupError } from './subsystem.js';

/**
 * The composition root: the one place that builds spool → records → queue → listeners → HTTP,
 * each with the real objects it depends on (the compiler checks every dependency). Returns the
 * started subsystems in start order; stop runs them in reverse.
 */
export async function composeServer(ctx: RuntimeContext): Promise<Subsystem[]> {
  const started: Subsystem[] = [];
  const start = async <S extends Subsystem>(s: S): Promise<S> => {
    try {
      await s.start(ctx);
    } catch (e) {
      // a start failure (spool locked by another process, a listener that cannot bind...) is
      // fatal: undo what started, newest first, and let the caller exit non-zero
      ctx.log.error(`${s.name}: cannot start: ${(e as Error).message}`, { code: (e as { code?: string }).code });
      for (const t of [s, ...started.slice().reverse()]) await t.stop(Date.now() + 2_000).catch(() => undefined);
      throw new StartupError(s.name, e as Error);
    }
    started.push(s);
    return s;
  };
  const storage = await start(new StorageSubsystem());
  const admin = await start(new AdminSubsystem({ dir: storage.spool.path }));
  // certificates (or their placeholders) exist before a listener that names one binds
  await start(new AcmeSubsystem());
  // log hooks tap the record writer before the queue's spool scan can write a record
  const hooks = await start(new HookSubsystem({ spoolPath: storage.spool.path, records: storage.records }));
  // TLS policy decisions and TLS-RPT; mailto: reports go through reception once SMTP runs
  let smtpRef: Smtp | undefined;
  const tlsRpt = await start(new TlsRptSubsystem({ reception: () => smtpRef?.reception }));
  const queue = await start(new QueueSubsystem({ spool: storage.spool, records: storage.records, admin: admin.state, tlsPolicy: tlsRpt.engine }));
  const smtp = (smtpRef = await start(new SmtpSubsystem({ spool: storage.spool, records: storage.records, intake: queue.manager })));
  await start(new HttpSubsystem({ spool: storage.spool, records: storage.records, queue: queue.manager, reception: smtp.reception, admin: admin.state, hooks }));
  return started;
}

export type { Logger };
