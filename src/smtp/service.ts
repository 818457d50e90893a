import type { AddressInfo } from 'node:net';
import type { Snapshot } from '../config/snapshot.js';
import type { Logger } from '../logging/logger.js';
import { ensureSelfSignedFile } from '../tls/self-signed.js';
import { needsRebind, SmtpListener } from './listener.js';
import type { ListenerDeps } from './listener-deps.js';

const BIND_RETRY_MS = 5000;

/** Listeners that could not start when the server started: the start fails (exit non-zero). */
export class ListenerStartError extends Error {
  readonly code = 'LISTENER_START';
  constructor(readonly failures: readonly { name: string; listen: string; error: Error }[]) {
    super(failures.map((f) => `listener ${f.name} cannot start on ${f.listen}: ${f.error.message}`).join('; '));
    this.name = 'ListenerStartError';
  }
}

/**
 * All SMTP listeners, reconciled with each snapshot: listeners that appear are started,
 * listeners that disappear stop accepting and drain (their open sessions finish), listeners
 * whose address or TLS mode changed are replaced the same way, and other changes apply in
 * place to new sessions. The process is never restarted. Reconciles run one at a time.
 */
export class SmtpService {
  private readonly listeners = new Map<string, SmtpListener>();
  private readonly draining = new Set<SmtpListener>();
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ListenerDeps & { log: Logger }) {}

  reconcile(snapshot: Snapshot): Promise<void> {
    this.chain = this.chain.then(() => this.doReconcile(snapshot)).catch((e) => {
      /* c8 ignore next -- doReconcile handles each listener's failures itself; this only keeps the chain alive after a bug */
      this.deps.log.error('smtp: reconciling listeners failed', { error: (e as Error).stack ?? String(e) });
    });
    return this.chain;
  }

  /**
   * The first reconcile, at server start: every listener must start, else this throws
   * ListenerStartError (the ones that did start stay until stop()) and nothing is retried.
   */
  start(snapshot: Snapshot): Promise<void> {
    const run = this.chain.then(() => this.doReconcile(snapshot, true));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The bound address of a listener (tests, logs). */
  address(name: string): AddressInfo | undefined {
    return this.listeners.get(name)?.address();
  }

  listener(name: string): SmtpListener | undefined {
    return this.listeners.get(name);
  }

  get names(): string[] {
    return [...this.listeners.keys()];
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.chain;
    const all = [...this.listeners.values(), ...this.draining];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.stop(deadlineMs)));
  }

  private async doReconcile(snapshot: Snapshot, atStart = false): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retry);
    const want = snapshot.main.listeners;
    // removals and rebinds first, so a port can move from one listener to another
    for (const [name, l] of [...this.listeners]) {
      const next = want.get(name);
      if (next && !needsRebind(l.current, next)) continue;
      this.listeners.delete(name);
      this.draining.add(l);
      this.deps.log.info(next ? `listener ${name}: address or TLS mode changed, replacing it` : `listener ${name} removed`, {
        open_sessions: l.connectionCount,
      });
      void l.drain().then(() => {
        this.draining.delete(l);
        this.deps.log.info(`listener ${name}: drained`);
      });
    }
    const failures: { name: string; listen: string; error: Error }[] = [];
    for (const [name, s] of want) {
      const l = this.listeners.get(name);
      const generated = s.tls?.generated;
      if (generated) {
        try {
          await this.ensureGenerated(name, generated);
        } catch (e) {
          // the certificate store then reports the missing file (start) or keeps the old one (update)
          this.deps.log.error(`listener ${name}: cannot write its self-signed certificate ${generated.path}: ${(e as Error).message}`);
        }
      }
      if (l) {
        await l.update(s);
        continue;
      }
      try {
        this.listeners.set(name, await SmtpListener.create(s, this.deps));
      } catch (e) {
        failures.push({ name, listen: s.listenSpec, error: e as Error });
        if (!atStart)
          this.deps.log.error(`listener ${name} cannot start on ${s.listenSpec}: ${(e as Error).message}; retrying every ${BIND_RETRY_MS / 1000} s`, {
            code: (e as { code?: string }).code,
          });
      }
    }
    if (atStart && failures.length) throw new ListenerStartError(failures);
    if (failures.length && !this.stopped) {
      this.retry = setTimeout(() => void this.reconcile(this.deps.store.current), BIND_RETRY_MS);
      this.retry.unref();
    }
  }

  private readonly generatedSeen = new Map<string, string>();

  /** A listener without tls: its generated certificate exists and is current (logged once per file). */
  private async ensureGenerated(name: string, g: { path: string; hostname: string }): Promise<void> {
    const f = await ensureSelfSignedFile(g.path, g.hostname);
    if (!f.generated && this.generatedSeen.get(g.path) === f.fingerprint256) return;
    this.generatedSeen.set(g.path, f.fingerprint256);
    this.deps.log.info(`listener ${name}: no tls configured; STARTTLS uses the self-signed certificate ${f.generated ? 'generated' : 'kept'} at ${f.path}`, {
      hostname: g.hostname, not_after: f.notAfter.toISOString(), fingerprint256: f.fingerprint256, ...(f.replaced ? { replaced_because: f.replaced } : {}),
    });
  }
}
