// A loopback lab for `[server] workers = 2`: one sink, kumo-ts serving with two reception
// workers, and an injector that opens one SMTP connection per message (so that the kernel
// spreads them over both workers' accept calls).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, labConfig, readRecords, seqOf, sinksOnOnePort, tagged } from '../queue/lab.js';
import { startKumo } from '../helpers/server-process.js';

export { readRecords, seqOf, tagged };

/** kumo-ts serve on the lab's config; the owner and both workers start on 2 shared cores: generous. */
export async function startWorkersServer(dir: string): Promise<ServerProcess> {
  const kumo = startKumo(['serve', '-c', join(dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info' } });
  await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 50_000, 'kumo-ts ready');
  return kumo;
}

export async function workersLab(domain: string, opts: { cleanups: (() => unknown)[]; dataDelayMs?: number; main?: string; workers?: number; httpPort?: number }) {
  const got: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: opts.dataDelayMs ?? 0 }));
  opts.cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const zone = `\n["${domain}"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n`;
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone, httpPort: opts.httpPort, main: `[server]\nworkers = ${opts.workers ?? 2}\n${opts.main ?? ''}` });
  opts.cleanups.push(lab.cleanup);
  const state = { kumo: undefined as unknown as ServerProcess };
  state.kumo = await startWorkersServer(lab.dir);
  opts.cleanups.push(() => state.kumo.stop('SIGKILL'));
  return {
    got,
    lab,
    smtpPort,
    logsDir: join(lab.dir, 'logs'),
    spoolDir: join(lab.dir, 'spool'),
    get kumo() {
      return state.kumo;
    },
    seen: () => new Set(got.map((m) => seqOf(m.data))),
    /** the records files of reception worker N */
    workerFiles: (n: number) => workerFiles(join(lab.dir, 'logs'), n),
    /** how many Reception records reception worker N wrote */
    workerReceptions: (n: number) => {
      let count = 0;
      for (const f of workerFiles(join(lab.dir, 'logs'), n))
        for (const line of readFileSync(join(lab.dir, 'logs', f), 'utf8').split('\n')) if (line.includes('"type":"Reception"')) count++;
      return count;
    },
  };
}

function workerFiles(dir: string, n: number): string[] {
  return readdirSync(dir).filter((f) => new RegExp(`-w${n}(-\\d+)?\\.jsonl$`).test(f));
}

/** Sends one message on a new connection; resolves with the final reply code (0: the connection failed). */
export function sendOne(port: number, to: string, data: string): Promise<number> {
  return new Promise((resolve) => {
    const c = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, logger: false, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      resolve(code);
      try {
        c.quit();
      } catch {
        c.close();
      }
    };
    c.on('error', (e: Error & { responseCode?: number }) => finish(e.responseCode ?? 0));
    c.on('end', () => finish(0));
    c.connect((err) => {
      if (err) return finish((err as Error & { responseCode?: number }).responseCode ?? 0);
      c.send({ from: 'sender@kumo.test', to: [to] }, data, (e) => finish(e ? ((e as Error & { responseCode?: number }).responseCode ?? 0) : 250));
    });
  });
}

/** Sends `count` messages, `concurrency` at a time, one connection each; the indexes answered 250. */
export async function injectSpread(port: number, domain: string, count: number, concurrency: number, from = 0): Promise<Set<number>> {
  const accepted = new Set<number>();
  let next = from;
  const end = from + count;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < end) {
      const i = next++;
      if ((await sendOne(port, `u${i}@${domain}`, tagged(i))) === 250) accepted.add(i);
    }
  }));
  return accepted;
}
