import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';
import { startRedis } from '../shaping/redis-server.js';
import type { RedisProcess } from '../shaping/redis-server.js';
import { servedCert, startPebbleLab, waitUntil } from './pebble-lab.js';
import type { PebbleLab } from './pebble-lab.js';

/**
 * Two kumo-ts nodes sharing one Redis, against one pebble: one node orders (the Redis lock),
 * the other installs the stored result; both serve the same certificate. Only node A listens
 * where pebble validates HTTP-01 (as behind a load balancer that sends the CA to any node), so
 * whichever node wins the lock, the challenge is answered through the shared store. The test
 * holds the order lock itself first (as a third node would), so both nodes meet it for sure.
 */
const skip = requireTool('pebble') || requireTool('pebble-challtestsrv') || requireTool('redis-server');

describe('ACME with several nodes ([redis]): one order, the same certificate everywhere', { skip, timeout: 180_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  let lab: PebbleLab;
  let redis: RedisProcess;
  const nodes: { kumo: ServerProcess; smtp: number }[] = [];

  before(async () => {
    ({ dir, cleanup } = tempTree({}));
    redis = await startRedis();
    const r = new Redis(redis.url);
    assert.equal(await r.set('kumo-ts:acme:lock:mx', 'held-by-the-test', 'PX', 120_000, 'NX'), 'OK');
    r.disconnect();
    lab = await startPebbleLab(dir);
    for (const n of ['a', 'b']) {
      const smtp = await freePort();
      const http01 = n === 'a' ? lab.http01Port : await freePort();
      const t = tempTree({}, `kumo-acme-${n}-`);
      const files = {
        'kumo.toml': `
hostname = "node-${n}.kumo.test"
[listener.smtp]
listen = "127.0.0.1:${smtp}"
[listener.smtp.tls]
certificate = { acme = "mx" }
[spool]
path = "${join(t.dir, 'data', 'spool')}"
[logs]
path = "${join(t.dir, 'data', 'logs')}"
[http]
enabled = false
[dns]
mode = "static"
zone_file = "zone.toml"
[redis]
url = "${redis.url}"
[acme]
directory = "${lab.directory}"
ca = "${lab.caFile}"
http01_listen = "127.0.0.1:${http01}"
retry_interval = "1s"
max_retry_interval = "2s"
[acme.cert.mx]
names = ["mx.kumo.test"]
`,
        'zone.toml': '',
      };
      for (const [k, v] of Object.entries(files)) t.write(k, v);
      const prev = cleanup;
      cleanup = () => {
        prev();
        t.cleanup();
      };
      nodes.push({ kumo: startKumo(['serve', '--config', t.dir]), smtp });
    }
    for (const n of nodes) await n.kumo.waitFor((l) => l.msg === 'kumo-ts ready', 30_000, 'kumo-ts ready');
  });

  after(async () => {
    for (const n of nodes) await n.kumo.stop();
    await lab?.close();
    await redis?.stop();
    cleanup?.();
  });

  test('while another node holds the lock neither orders; then exactly one order, and both nodes serve the same certificate', async () => {
    const waiting = (l: Record<string, unknown>) => l.msg === 'acme: another node is ordering certificate "mx": waiting for its result';
    for (const n of nodes) await n.kumo.waitFor(waiting, 30_000, 'the node to wait for the lock');
    assert.equal(nodes.flatMap((n) => n.kumo.lines).filter((l) => l.msg === 'acme: ordering certificate "mx"').length, 0);
    const r = new Redis(redis.url);
    assert.equal(await r.del('kumo-ts:acme:lock:mx'), 1);
    const fingerprints: string[] = [];
    for (const n of nodes) {
      await waitUntil('the node to serve pebble\'s certificate', async () => /Pebble/.test((await servedCert(n.smtp, 'mx.kumo.test', true)).issuer), 60_000);
      fingerprints.push((await servedCert(n.smtp, 'mx.kumo.test', true)).fingerprint256);
    }
    assert.equal(fingerprints[0], fingerprints[1], 'the same certificate on both nodes');
    const lines = nodes.flatMap((n) => n.kumo.lines);
    assert.equal(lines.filter((l) => l.msg === 'acme: ordering certificate "mx"').length, 1, 'one order in all');
    assert.equal(lines.filter((l) => l.msg === 'acme: certificate "mx" issued').length, 1);
    const installed = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('acme: certificate "mx" installed from the shared store'));
    assert.equal(installed.length, 1, 'the other node installed the stored result');
    assert.equal(installed[0]!.sha256, fingerprints[0]);
    // only node A is where pebble validates: if B ordered, A answered from the shared store
    const orderedByB = nodes[1]!.kumo.lines.some((l) => l.msg === 'acme: certificate "mx" issued');
    const answers = nodes[0]!.kumo.lines.filter((l) => l.msg === 'acme: answered an HTTP-01 challenge');
    assert.ok(answers.length > 0 && answers.every((l) => (l.from === 'shared store') === orderedByB), JSON.stringify(answers));
    // pebble saw one order; the lock was released after it
    assert.equal((lab.out().match(/POST \/order-plz/g) ?? []).length, 1, lab.out().slice(-2000));
    assert.equal(await r.exists('kumo-ts:acme:lock:mx'), 0);
    r.disconnect();
  });
});
