// A loopback lab for end-to-end queue/delivery tests: a config dir with a static zone, sinks
// on 127.0.0.x sharing one port (MX delivery goes to the source's remote_port), a kumo-ts child
// process, an SMTP injector and a log-record reader.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkOptions } from '../../src/sink/sink.js';
import type { LogRecord } from '../../src/logging/types.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';
import type { SinkMessage } from '../../src/sink/sink.js';

export { freePort };

/** Sinks on each of `hosts`, all on the same port (tries a few ports if one is taken). */
export async function sinksOnOnePort(hosts: string[], opts: (host: string) => SinkOptions = () => ({})): Promise<Sink[]> {
  for (let attempt = 0; ; attempt++) {
    const first = await startSink({ ...opts(hosts[0]), host: hosts[0], port: 0 });
    const sinks = [first];
    try {
      for (const h of hosts.slice(1)) sinks.push(await startSink({ ...opts(h), host: h, port: first.port }));
      return sinks;
    } catch (e) {
      for (const s of sinks) await s.close();
      if (attempt > 5) throw e;
    }
  }
}

export interface LabFiles {
  smtpPort: number;
  /** the port every sink listens on (the source's remote_port) */
  sinkPort: number;
  zone: string;
  queues?: string;
  sources?: string;
  /** extra TOML for kumo.toml */
  main?: string;
  /** serve the HTTP API (metrics) on 127.0.0.1:httpPort; off when absent */
  httpPort?: number;
}

export function labConfig(f: LabFiles): ReturnType<typeof tempTree> {
  const lab = tempTree();
  lab.write('config/kumo.toml', `
hostname = "kumo.lab.test"
[listener.smtp]
listen = "127.0.0.1:${f.smtpPort}"
[http]
${f.httpPort ? `enabled = true\nlisten = "127.0.0.1:${f.httpPort}"` : 'enabled = false'}
[spool]
path = ${JSON.stringify(join(lab.dir, 'spool'))}
[logs]
path = ${JSON.stringify(join(lab.dir, 'logs'))}
compress = false
[dns]
mode = "static"
zone_file = "zone.toml"
# the zone's MX hosts are 127.0.0.x: allowed here explicitly (tests only)
allow_loopback_destinations = true
${f.main ?? ''}
`);
  lab.write('config/zone.toml', f.zone);
  lab.write('config/sources.toml', f.sources ?? `[source."unspecified"]\nremote_port = ${f.sinkPort}\n`);
  lab.write('config/queues.toml', f.queues ?? '');
  return lab;
}

export async function startLabServer(dir: string): Promise<ServerProcess> {
  const kumo = startKumo(['serve', '-c', join(dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info' } });
  await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'kumo-ts ready');
  return kumo;
}

/**
 * The lab config (plus `files`, paths relative to the lab dir) and `kumo-ts serve` on it; both
 * undone by `cleanups` (the caller's `after` runs them in reverse: runCleanups).
 */
export async function startLab(f: LabFiles, cleanups: (() => unknown)[], files: Record<string, string> = {}): Promise<{ kumo: ServerProcess; dir: string; logs: string }> {
  const lab = labConfig(f);
  for (const [rel, text] of Object.entries(files)) lab.write(rel, text);
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());
  return { kumo, dir: lab.dir, logs: join(lab.dir, 'logs') };
}

/** A sink on 127.0.0.1 pushing every message it receives onto `got`; closed by `cleanups`. */
export async function collectingSink(got: SinkMessage[], cleanups: (() => unknown)[]): Promise<Sink> {
  const sink = await startSink({ host: '127.0.0.1', onMessage: (m) => got.push(m) });
  cleanups.push(() => sink.close());
  return sink;
}

/** Runs what `cleanups` collected, the last first. */
export async function runCleanups(cleanups: (() => unknown)[]): Promise<void> {
  for (const c of cleanups.reverse()) await c();
}

export interface Outgoing {
  from: string;
  to: string[];
  data: string;
}

/**
 * Sends messages over `sessions` SMTP connections (each sends its share one after another,
 * pipelined envelope). Returns the indexes that got a 250. Stops quietly when the server
 * goes away (crash tests).
 */
export async function inject(port: number, msgs: Outgoing[], sessions: number, opts: { stopOnError?: boolean } = {}): Promise<Set<number>> {
  const accepted = new Set<number>();
  let next = 0;
  const worker = async () => {
    let conn: SMTPConnection | undefined;
    const open = () =>
      new Promise<SMTPConnection>((resolve, reject) => {
        const c = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, logger: false, connectionTimeout: 10_000 });
        c.on('error', () => undefined);
        c.connect((err) => (err ? reject(err) : resolve(c)));
      });
    while (next < msgs.length) {
      const i = next++;
      const m = msgs[i];
      try {
        conn ??= await open();
        await new Promise<void>((resolve, reject) => conn!.send({ from: m.from, to: m.to }, m.data, (err) => (err ? reject(err) : resolve())));
        accepted.add(i);
      } catch (e) {
        conn?.close();
        conn = undefined;
        if (opts.stopOnError) return;
        throw e;
      }
    }
    conn?.quit();
  };
  await Promise.all(Array.from({ length: sessions }, worker));
  return accepted;
}

/** A message body tagged with a sequence number the sink side can read back. */
export function tagged(seq: number, extra = ''): string {
  return `From: lab@kumo.test\r\nTo: someone\r\nSubject: lab ${seq}\r\nX-Lab-Seq: ${seq}\r\n${extra}\r\n${'line of body text for the lab\r\n'.repeat(20)}`;
}

export function seqOf(data: Buffer): number {
  const m = /^X-Lab-Seq: (\d+)\r?$/m.exec(data.toString('latin1'));
  return m ? Number(m[1]) : -1;
}

/** Every log record written under the lab's logs dir (rotated gz files included). */
export function readRecords(logsDir: string): LogRecord[] {
  if (!existsSync(logsDir)) return [];
  const out: LogRecord[] = [];
  for (const f of readdirSync(logsDir).sort()) {
    const p = join(logsDir, f);
    let text: string;
    if (f.endsWith('.jsonl')) text = readFileSync(p, 'utf8');
    else if (f.endsWith('.jsonl.gz')) text = gunzipSync(readFileSync(p)).toString('utf8');
    else continue;
    for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as LogRecord);
  }
  return out;
}

export function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A lab under load, shared by the crash and shutdown tests: one sink for `domain` answering
 * DATA after `dataDelayMs`, kumo-ts serving, and `count` messages being injected over 8
 * sessions. `cleanups` collects what the caller's `after` must undo.
 */
export async function loadLab(domain: string, opts: { count: number; dataDelayMs: number; cleanups: (() => unknown)[] }) {
  const got: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: opts.dataDelayMs }));
  opts.cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const zone = `\n["${domain}"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n`;
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone });
  opts.cleanups.push(lab.cleanup);
  const state = { kumo: await startLabServer(lab.dir) };
  opts.cleanups.push(() => state.kumo.stop('SIGKILL'));
  const msgs = Array.from({ length: opts.count }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@${domain}`], data: tagged(i) }));
  const injecting = inject(smtpPort, msgs, 8, { stopOnError: true });
  const seen = () => new Set(got.map((m) => seqOf(m.data)));
  return {
    got,
    injecting,
    seen,
    spoolDir: join(lab.dir, 'spool'),
    logsDir: join(lab.dir, 'logs'),
    get kumo() {
      return state.kumo;
    },
    async restart() {
      state.kumo = await startLabServer(lab.dir);
    },
    /** waits until every accepted message has reached the sink */
    allDelivered(accepted: Set<number>, timeoutMs: number) {
      return waitUntil(() => {
        const s = seen();
        return [...accepted].every((i) => s.has(i));
      }, timeoutMs, 'every accepted message delivered after the restart').catch((e: Error) => {
        throw new Error(`${e.message}; delivered ${seen().size}/${accepted.size}; kumo log:\n${state.kumo.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
      });
    },
  };
}
