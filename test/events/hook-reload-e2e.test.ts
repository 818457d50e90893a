// Log hooks are live config: a running `kumo-ts serve` whose kumo.toml gains a [log_hook.NAME],
// then has its url changed, then loses it, then gets it back — each on reload, with real
// webhook receivers on loopback. The new hook receives the records written after it came; a
// changed url takes effect at once (even while the old receiver was failing and the hook was
// backing off); a removed hook sends nothing more and keeps its queued events in the spool,
// and they go out when the hook comes back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord } from '../../src/logging/types.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import { webhookReceiver } from './receiver.js';
import type { Receiver } from './receiver.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The hook under test: a long retry interval, so a backoff not reset on a url change would show. */
const hook = (name: string, port: number) => `
[log_hook.${name}]
kind = "webhook"
url = "http://127.0.0.1:${port}/events"
types = ["Delivery"]
batch_size = 10
batch_wait = "100ms"
retry_interval = "60s"
max_retry_interval = "120s"
timeout = "5s"
`;

test('a hook added, changed and removed on reload: starts receiving, follows its url, stops, and its queued events wait for its return', { timeout: 180_000 }, async () => {
  const a = webhookReceiver(await freePort());
  const b = webhookReceiver(await freePort());
  const c = webhookReceiver(await freePort());
  for (const rx of [a, b, c]) {
    await rx.listen();
    cleanups.push(() => rx.close());
  }
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({}));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: '\n["hooks.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n' });
  cleanups.push(lab.cleanup);
  const mainPath = join(lab.dir, 'config', 'kumo.toml');
  const base = readFileSync(mainPath, 'utf8');
  const logs = join(lab.dir, 'logs');
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));

  let epochSeen = kumo.lines.length;
  const reload = async (hooks: string, what: string) => {
    epochSeen = kumo.lines.length;
    lab.write('config/kumo.toml', base + hooks);
    await kumo.waitFor((l) => /^config epoch \d+ live$/.test(String(l.msg)) && kumo.lines.indexOf(l) >= epochSeen, 30_000, `the reload (${what})`);
  };
  let seq = 0;
  /** Relays `n` messages; returns their recipients once each has its Delivery record. */
  const relay = async (n: number, step: string): Promise<string[]> => {
    const msgs = Array.from({ length: n }, () => ({ from: 'sender@kumo.test', to: [`${step}${seq}@hooks.test`], data: tagged(seq++) }));
    assert.equal((await inject(smtpPort, msgs, 1)).size, n);
    const rcpts = msgs.map((m) => m.to[0]!);
    await waitUntil(() => {
      const d = new Set(readRecords(logs).filter((r) => r.type === 'Delivery').map((r) => String(r.recipient)));
      return rcpts.every((r) => d.has(r));
    }, 30_000, `Delivery records of step ${step}`);
    return rcpts;
  };
  const got = (rx: Receiver, rcpts: string[]) => rcpts.filter((r) => rx.records.some((x: LogRecord) => x.recipient === r));

  // no hook yet: nothing is sent anywhere
  const before = await relay(3, 'none');

  // 1. added: the hook receives the records written from then on (not the earlier ones)
  await reload(hook('live', a.port), 'hook added');
  const added = await relay(4, 'added');
  await waitUntil(() => got(a, added).length === added.length, 30_000, 'the added hook delivering to A');
  assert.deepEqual(got(a, before), [], 'records written before the hook existed are not sent');

  // 2. changed url while A fails and the hook backs off (retry_interval 60s): B gets the
  //    waiting events and the new ones at once
  a.status = 503;
  const stuck = await relay(2, 'stuck');
  await kumo.waitFor((l) => /hook:live: sending events failed; retrying/.test(String(l.msg)), 30_000, 'the hook backing off on A');
  const aRequests = a.requests.length;
  await reload(hook('live', b.port), 'url changed to B');
  const changed = await relay(3, 'changed');
  await waitUntil(() => got(b, [...stuck, ...changed]).length === stuck.length + changed.length, 30_000, 'B getting the waiting and the new events (well before the 60s backoff)');
  assert.deepEqual(got(a, [...stuck, ...changed]), [], 'A took none of them');
  assert.equal(a.requests.length, aRequests, 'nothing more was sent to the old url');

  // 3. removed while B fails: it sends nothing more; its queued events stay in the spool
  b.status = 503;
  const queued = await relay(2, 'queued');
  await kumo.waitFor((l) => /hook:live: sending events failed; retrying/.test(String(l.msg)) && kumo.lines.indexOf(l) >= epochSeen, 30_000, 'the hook failing on B');
  b.status = 200;
  const bRequests = b.requests.length;
  // a second hook comes with the removal: once it has the new records, the removed one would have too
  await reload(hook('other', c.port), 'hook live removed, hook other added');
  const removal = await kumo.waitFor((l) => /^hook:live: hook removed from the config/.test(String(l.msg)), 10_000, 'the removal logged');
  assert.match(String(removal.msg), /its 2 queued events stay in the spool/);
  const after = await relay(3, 'after');
  await waitUntil(() => got(c, after).length === after.length, 30_000, 'the other hook receiving');
  assert.equal(b.requests.length, bRequests, 'the removed hook sent nothing more (neither the queued events nor the new records)');

  // 4. back again: the events it had queued go out, and only those (it was absent for the others)
  await reload(hook('live', b.port) + hook('other', c.port), 'hook live back');
  await waitUntil(() => got(b, queued).length === queued.length, 30_000, 'the queued events delivered when the hook came back');
  const back = await relay(2, 'back');
  await waitUntil(() => got(b, back).length === back.length, 30_000, 'the returned hook receiving new records');
  assert.deepEqual(got(b, after), [], 'records written while the hook was absent are not sent to it');
  assert.equal(b.duplicates(), 0);
});
