// The inject route in process, on a real config snapshot, a real lmdb spool and a real record
// writer: spooled messages are counted; a spool that refuses writes gives 503 with JSON counts
// (what was spooled, which recipients failed), never a silent half-success.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

describe('inject route: spool accounting', () => {
  const tree = tempTree({}, 'kumo-inject-spool-');
  const store = new ConfigStore();
  const log = createLogger({ level: 'error', out: () => undefined });
  const renderer = new TemplateSandbox(log);
  let spool: LmdbSpool;
  let records: RecordWriter;
  let app: FastifyInstance;
  const enqueued: SpoolMeta[] = [];

  before(async () => {
    tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[spool]\npath = ${JSON.stringify(join(tree.dir, 'spool'))}\n[logs]\npath = ${JSON.stringify(join(tree.dir, 'logs'))}\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
    tree.write('cfg/zone.toml', '');
    store.swap(await compileOrThrow({ root: join(tree.dir, 'cfg') }));
    spool = LmdbSpool.open({ path: join(tree.dir, 'spool') });
    const logs = { path: join(tree.dir, 'logs'), maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false };
    records = new RecordWriter({ settings: () => logs, log, flushIntervalMs: 10 });
    const reception: ReceptionDeps = { store, spool, records, intake: () => ({ enqueue: (m: SpoolMeta) => void enqueued.push(m) }) as never, log };
    app = Fastify();
    // the route uses only the reception path of the API's dependencies
    injectRoutes(app, { reception, renderer, log } as unknown as ApiDeps);
    await app.ready();
  });

  after(async () => {
    renderer.stop();
    await app.close();
    await records.close();
    await spool.close().catch(() => undefined);
    tree.cleanup();
  });

  const body = (n: number) => ({
    envelope_sender: 'bounces@example.com',
    recipients: Array.from({ length: n }, (_, i) => ({ email: `r${i}@example.net` })),
    content: { subject: 'hi {{ email }}', text_body: 'hello' },
  });

  it('every generated message is spooled and handed to the queue before the answer', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body(50) });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { success_count: 50, fail_count: 0, failed_recipients: [], errors: [] });
    assert.equal(await spool.count(), 50);
    assert.equal(enqueued.length, 50);
    assert.deepEqual(enqueued.map((m) => m.reception.protocol), Array(50).fill('HTTP'));
    assert.deepEqual(new Set(enqueued.map((m) => m.recipients.length)), new Set([1]), 'one message per recipient');
  });

  it('a spool that refuses writes gives 503 with the counts, not a 200', async () => {
    await spool.close();
    const r = await app.inject({ method: 'POST', url: '/api/inject/v1', payload: body(3) });
    assert.equal(r.statusCode, 503, r.body);
    const j = r.json() as Record<string, unknown>;
    assert.equal(j.error, 'service_unavailable');
    assert.match(String(j.message), /spool is unavailable: 0 of 3/);
    assert.equal(j.success_count, 0);
    assert.equal(j.fail_count, 3);
    assert.deepEqual(j.failed_recipients, ['r0@example.net', 'r1@example.net', 'r2@example.net']);
    assert.equal((j.errors as string[]).length, 3);
    assert.equal(enqueued.length, 50, 'nothing more was queued');
  });
});
