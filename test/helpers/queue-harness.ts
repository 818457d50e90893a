// An in-process queue side of the server on real config files: ConfigStore, LmdbSpool,
// RecordWriter, the local shaping gate and a QueueManager, delivering over real sockets to
// peers on loopback (static zone, allow_loopback_destinations). For delivery paths whose
// signal is inside the process (the queue's size, its ready queues, its log).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminState } from '../../src/admin/admin-state.js';
import { compileOrThrow } from '../../src/config/compile.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import type { LogRecord } from '../../src/logging/types.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import { QueueManager } from '../../src/queue/manager.js';
import { LocalShapingGate } from '../../src/shaping/gate.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { newSpoolId } from '../../src/spool/spool-id.js';
import type { Spool, SpoolMeta } from '../../src/spool/types.js';
import { tempTree } from './tmp.js';

export interface QueueHarnessFiles {
  /** static zone (TOML) */
  zone: string;
  queues?: string;
  sources?: string;
  shaping?: string;
  /** extra TOML for kumo.toml */
  main?: string;
  /** with admin state (bounces, suspensions) in the temp dir, as the server has it */
  admin?: boolean;
  /** the spool the queue uses, made from the real one (e.g. one that holds a write back) */
  spool?: (real: LmdbSpool) => Spool;
  /** the queue's memory of finished ids (ms; QueueManagerDeps.finishedWindowMs) */
  finishedWindowMs?: number;
}

export class QueueHarness {
  readonly store = new ConfigStore();
  readonly logLines: string[] = [];
  readonly log: Logger;
  spool!: LmdbSpool;
  records!: RecordWriter;
  gate!: LocalShapingGate;
  manager!: QueueManager;
  admin: AdminState | undefined;

  private constructor(readonly tree: ReturnType<typeof tempTree>) {
    this.log = createLogger({ level: 'debug', out: (l) => this.logLines.push(l) });
  }

  get root(): string {
    return this.tree.dir;
  }

  static async start(f: QueueHarnessFiles): Promise<QueueHarness> {
    const h = new QueueHarness(tempTree({}, 'kumo-queue-'));
    h.writeConfig(f);
    h.store.swap(await compileOrThrow({ root: h.root }));
    h.spool = LmdbSpool.open({ path: join(h.root, 'spool') });
    const logs = { path: join(h.root, 'logs'), maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false };
    h.records = new RecordWriter({ settings: () => logs, log: h.log, flushIntervalMs: 10 });
    h.gate = new LocalShapingGate(h.store, h.log);
    if (f.admin) {
      mkdirSync(join(h.root, 'admin'), { recursive: true });
      h.admin = new AdminState({ dir: join(h.root, 'admin'), log: h.log });
      await h.admin.start();
    }
    h.manager = new QueueManager({ store: h.store, spool: f.spool ? f.spool(h.spool) : h.spool, records: h.records, gate: h.gate, log: h.log, admin: h.admin, finishedWindowMs: f.finishedWindowMs });
    return h;
  }

  private writeConfig(f: QueueHarnessFiles): void {
    this.tree.write('kumo.toml', `
hostname = "kumo.queue.test"
[server]
smtp = false
[http]
enabled = false
[spool]
path = "spool"
[logs]
path = "logs"
compress = false
[dns]
mode = "static"
zone_file = "zone.toml"
allow_loopback_destinations = true
${f.main ?? ''}
`);
    this.tree.write('zone.toml', f.zone);
    this.tree.write('queues.toml', f.queues ?? '');
    this.tree.write('sources.toml', f.sources ?? '');
    if (f.shaping !== undefined) this.tree.write('shaping.toml', f.shaping);
  }

  /** Rewrites config files and swaps in the new snapshot. */
  async update(f: QueueHarnessFiles): Promise<void> {
    this.writeConfig(f);
    this.store.swap(await compileOrThrow({ root: this.root, epoch: this.store.current.epoch + 1 }));
  }

  /** A message's metadata (not spooled: see `submit`). */
  meta(sender: string, recipients: string[], over: Partial<SpoolMeta> = {}): SpoolMeta {
    return {
      id: newSpoolId(),
      sender,
      recipients: recipients.map((address) => ({ address, status: 'pending' as const })),
      receivedAt: Date.now(),
      size: 0,
      reception: { protocol: 'ESMTP', listener: 'test', peer: '127.0.0.1' },
      attempts: 0,
      due: 0,
      ...over,
    };
  }

  /** Spools a message (durably) and hands it to the queue, as reception does. */
  async submit(meta: SpoolMeta, body: string | Buffer): Promise<SpoolMeta> {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body.replace(/\r?\n/g, '\r\n'), 'latin1');
    const m = { ...meta, size: b.length };
    await this.spool.put(m, b);
    this.manager.enqueue(m);
    return m;
  }

  /** Log records written so far (optionally of one type). */
  async recordsOf(type?: LogRecord['type']): Promise<LogRecord[]> {
    await this.records.flush();
    const dir = join(this.root, 'logs');
    const out: LogRecord[] = [];
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    } catch {
      return out;
    }
    for (const f of files) for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as LogRecord);
    return type ? out.filter((r) => r.type === type) : out;
  }

  logged(re: RegExp): string[] {
    return this.logLines.filter((l) => re.test(l));
  }

  async close(): Promise<void> {
    await this.manager.stop(Date.now() + 4_000);
    await this.admin?.stop();
    await this.gate.close().catch(() => undefined);
    await this.records.close();
    await this.spool.close();
    this.tree.cleanup();
  }
}

/** Polls `fn` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
