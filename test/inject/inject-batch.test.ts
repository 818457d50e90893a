// An inject request's messages are spooled in durable batches (src/smtp/reception-batch.ts):
// each batch is one lmdb transaction, stored whole or not at all. On a spool that fills up
// (a real tmpfs: needs root, skipped otherwise) the answer is 503 and its counts are exact:
// every recipient counted as a success is in the spool, every other one is not, and a batch
// that failed left nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { compileOrThrow } from '../../src/config/compile.js';
import { ConfigStore } from '../../src/config/store.js';
import type { ApiDeps } from '../../src/http/api-deps.js';
import { injectRoutes } from '../../src/http/inject-routes.js';
import { TemplateSandbox } from '../../src/inject/render-sandbox.js';
import { createLogger } from '../../src/logging/logger.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import type { ReceptionDeps } from '../../src/smtp/reception.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { tempTree } from '../helpers/tmp.js';
import { waitUntil } from '../queue/lab.js';

function tryMount(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e).trim() || String(e);
  }
}

describe('inject: durable batches on a spool that fills up', () => {
  const tree = tempTree({}, 'kumo-inject-batch-');
  const store = new ConfigStore();
  const log = createLogger({ level: 'error', out: () => undefined });
  const spoolDir = join(tree.dir, 'spool');
  let mountError: string | undefined;
  let spool: LmdbSpool;
  let records: RecordWriter;
  let app: FastifyInstance;
  const enqueued: SpoolMeta[] = [];
  const renderer = new TemplateSandbox(log);

  before(async () => {
    mkdirSync(spoolDir, { recursive: true });
    mountError = tryMount(spoolDir, '12m');
    if (mountError) return;
    tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[spool]\npath = ${JSON.stringify(spoolDir)}\n[logs]\npath = ${JSON.stringify(join(tree.dir, 'logs'))}\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
    tree.write('cfg/zone.toml', '');
    store.swap(await compileOrThrow({ root: join(tree.dir, 'cfg') }));
    spool = LmdbSpool.open({ path: spoolDir, probeIntervalMs: 50 });
    const logs = { path: join(tree.dir, 'logs'), maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false };
    records = new RecordWriter({ settings: () => logs, log, flushIntervalMs: 10 });
    const reception: ReceptionDeps = { store, spool, records, intake: () => ({ enqueue: (m: SpoolMeta) => void enqueued.push(m) }) as never, log };
    app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
    injectRoutes(app, { reception, renderer, log } as unknown as ApiDeps);
    await app.ready();
  });

  after(async () => {
    await app?.close();
    renderer.stop();
    await records?.close();
    await spool?.close().catch(() => undefined);
    if (!mountError) execFileSync('umount', ['-l', spoolDir], { stdio: 'pipe' });
    tree.cleanup();
  });

  // ~100 KB per generated message (an incompressible attachment, base64 in the message)
  const attachment = Buffer.from(Array.from({ length: 75_000 }, (_, i) => (i * 7919) % 251)).toString('base64');
  const body = (tag: string, n: number) => ({
    envelope_sender: 'bounces@example.com',
    recipients: Array.from({ length: n }, (_, i) => ({ email: `${tag}${i}@example.net` })),
    content: { subject: 'hi {{ email }}', text_body: 'hello', attachments: [{ data: attachment, base64: true, content_type: 'application/octet-stream', file_name: 'a.bin' }] },
  });
  const spooledRecipients = async () => {
    const out: string[] = [];
    for await (const m of spool.scan()) out.push(...m.recipients.map((r) => r.address));
    return out.sort();
  };

  it('a batch the spool cannot hold is stored not at all: 503, success_count 0, nothing in the spool', async (t) => {
    if (mountError) return t.skip(`cannot mount a tmpfs for the spool (needs root): ${mountError}`);
    // a ~7.6 MB balloon on the 12 MB spool, then 80 messages of ~100 KB: one batch of ~8 MB
    // (inject.ts BATCH_BYTES) where about 4 MB are left
    const balloon = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body('balloon', 75) });
    assert.equal(balloon.statusCode, 200, balloon.body);
    const before = await spool.count();
    const r = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body('big', 80) });
    assert.equal(r.statusCode, 503, r.body);
    const j = r.json() as { success_count: number; fail_count: number; failed_recipients: string[] };
    const stored = (await spooledRecipients()).filter((a) => a.startsWith('big'));
    // exact counts: what is reported spooled is in the spool, what is reported failed is not
    assert.equal(j.success_count, stored.length, 'success_count is what the spool holds');
    assert.equal(j.success_count + j.fail_count, 80);
    assert.deepEqual([...j.failed_recipients, ...stored].sort(), body('big', 80).recipients.map((x) => x.email).sort());
    assert.equal(new Set([...j.failed_recipients, ...stored]).size, 80, 'no recipient both failed and stored');
    // the batch is whole: per-message writes would have stored about half of it
    assert.equal(j.success_count, 0, `nothing of a batch that failed is stored (${j.success_count} were)`);
    assert.equal(await spool.count(), before);
    assert.equal(enqueued.filter((m) => m.recipients[0]!.address.startsWith('big')).length, 0, 'nothing of it was queued');
  });

  it('a request of several batches on that full spool: the batches after the refused one are not attempted, each recipient failed by name', async (t) => {
    if (mountError) return t.skip(`cannot mount a tmpfs for the spool (needs root): ${mountError}`);
    const before = await spool.count();
    // 120 messages of ~100 KB: two batches (8 MB each at most); the first cannot be stored
    const r = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body('more', 120) });
    assert.equal(r.statusCode, 503, r.body);
    const j = r.json() as { success_count: number; fail_count: number; failed_recipients: string[]; errors: string[] };
    assert.equal(j.success_count, 0);
    assert.equal(j.fail_count, 120);
    assert.deepEqual([...j.failed_recipients].sort(), body('more', 120).recipients.map((x) => x.email).sort());
    assert.ok(j.errors.includes('more119@example.net: 451 4.3.0 spool unavailable, please try again later'), j.errors.slice(-3).join('\n'));
    assert.equal(await spool.count(), before);
  });

  it('once the spool can write again, the same request is stored whole and exactly once', async (t) => {
    if (mountError) return t.skip(`cannot mount a tmpfs for the spool (needs root): ${mountError}`);
    // free the balloon: the space comes back
    for (const id of spool.ids()) await spool.remove(id);
    await waitUntil(() => spool.health.healthy, 30_000, 'the spool to be healthy again');
    const r = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body('big', 80) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { success_count: number }).success_count, 80);
    assert.deepEqual(await spooledRecipients(), body('big', 80).recipients.map((x) => x.email).sort());
    assert.equal(enqueued.filter((m) => m.recipients[0]!.address.startsWith('big')).length, 80);
  });
});
