// The ACME store shared by the nodes of a cluster, against a real redis-server: what it reads
// back of entries that are not its own, HTTP-01 tokens, and Redis going away and coming back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AcmeSharedStore, SharedStoreError } from '../../src/acme/shared-store.js';
import { createLogger } from '../../src/logging/logger.js';
import { waitUntil } from '../queue/lab.js';
import { requireTool } from '../require-tool.js';
import { startRedis } from '../shaping/redis-server.js';

const skip = requireTool('redis-server');
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('garbage under a cert key reads as nothing; tokens are stored, read and deleted; Redis down: SharedStoreError and one warning, back: logged', { skip, timeout: 60_000 }, async () => {
  let redis = await startRedis();
  cleanups.push(() => redis.stop());
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const store = new AcmeSharedStore(redis.url, log);
  cleanups.push(() => store.close());
  const raw = new Redis(redis.url);
  await raw.set('kumo-ts:acme:cert:junk.test', 'not json');
  await raw.set('kumo-ts:acme:cert:other.test', JSON.stringify({ something: 'else' }));
  raw.disconnect();
  assert.equal(await store.get('junk.test'), undefined, 'not JSON');
  assert.equal(await store.get('other.test'), undefined, 'JSON of another shape');
  await store.put('ok.test', { pem: 'PEM', directory: 'd', names: ['ok.test'], by: 'n1' });
  assert.deepEqual(await store.get('ok.test'), { pem: 'PEM', directory: 'd', names: ['ok.test'], by: 'n1' });

  await store.putToken('tok', 'tok.key-auth', 60_000);
  assert.equal(await store.getToken('tok'), 'tok.key-auth');
  await store.deleteToken('tok');
  assert.equal(await store.getToken('tok'), undefined);

  const port = redis.port;
  await redis.stop();
  await assert.rejects(store.get('ok.test'), (e: unknown) => e instanceof SharedStoreError && e.code === 'ACME_SHARED_STORE' && /^Redis GET: /.test(e.message));
  await waitUntil(() => lines.some((l) => /Redis unavailable/.test(String(l.msg))), 10_000, 'the warning');
  await assert.rejects(store.getToken('tok'), SharedStoreError);
  assert.equal(lines.filter((l) => /Redis unavailable/.test(String(l.msg))).length, 1, 'warned once while down');
  redis = await startRedis(port);
  await waitUntil(() => lines.some((l) => /Redis reachable again/.test(String(l.msg))), 20_000, 'back');
  assert.equal(await store.get('ok.test'), undefined, 'a fresh Redis (no persistence): nothing stored');
});
