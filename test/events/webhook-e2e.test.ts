// Durable webhook log hooks end to end: a real kumo-ts child relays to a real SMTP sink, and a
// real node http server receives the Delivery records. The receiver is down for the first part
// (until every message has been delivered, so every event waits in the hook queue), and in the
// second test kumo-ts is killed with SIGKILL halfway and restarted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import { recordKey, verifySignature, webhookReceiver } from './receiver.js';

const SECRET = 'a shared webhook secret';
const COUNT = 1000;
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function lab(hookPort: number, extra = '') {
  const got: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m) }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const zone = `\n["hooks.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n`;
  const main = `
[log_hook.wh]
kind = "webhook"
url = "http://127.0.0.1:${hookPort}/events?src=kumo"
types = ["Delivery"]
batch_size = 100
batch_wait = "200ms"
retry_interval = "200ms"
max_retry_interval = "2s"
timeout = "10s"
hmac = { secret = { key_data = ${JSON.stringify(SECRET)} } }
${extra}
`;
  const l = labConfig({ smtpPort, sinkPort: sink.port, zone, main });
  cleanups.push(l.cleanup);
  const msgs = Array.from({ length: COUNT }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@hooks.test`], data: tagged(i) }));
  return { got, smtpPort, dir: l.dir, msgs, logs: join(l.dir, 'logs') };
}

const deliveryKeys = (logs: string) => readRecords(logs).filter((r) => r.type === 'Delivery').map(recordKey);

test('receiver down for the first part: afterwards every Delivery record reached it, none missing', { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const rx = webhookReceiver(port, { secret: SECRET });
  cleanups.push(() => rx.close());
  const L = await lab(port);
  const kumo = await startLabServer(L.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  // 503 while the messages come in: the events pile up in hook:wh, then flow at 200/s
  rx.status = 503;
  const accepted = await inject(L.smtpPort, L.msgs, 8);
  assert.equal(accepted.size, COUNT);
  rx.status = 200;
  // every message delivered while the receiver is down: every event is waiting in hook:wh
  await waitUntil(() => L.got.length >= COUNT, 120_000, 'every message delivered to the sink');
  await kumo.waitFor((l) => /hook:wh: sending events failed; retrying/.test(String(l.msg)), 30_000, 'the hook retrying');
  await rx.listen();
  await waitUntil(() => rx.seen.size >= COUNT, 120_000, `every Delivery record at the receiver (have ${rx.seen.size})`);
  const want = deliveryKeys(L.logs);
  assert.equal(want.length, COUNT, 'one Delivery record per message in the log files');
  for (const k of want) assert.ok(rx.seen.has(k), `Delivery record ${k} reached the receiver`);
  assert.equal(rx.badSignatures, 0, 'every request carried a valid HMAC signature');
  // no crash: no duplicates at all
  assert.equal(rx.duplicates(), 0);
  assert.ok(rx.requests.length < COUNT, `records were batched (${rx.requests.length} requests)`);
  t.diagnostic(`${rx.records.length} records in ${rx.requests.length} requests, ${rx.duplicates()} duplicates`);

  // HMAC: the receiver's check passes on each body as sent and fails on a tampered one
  const r0 = rx.requests.at(-1)!;
  assert.ok(verifySignature(SECRET, r0.body, r0.signature));
  const tampered = Buffer.from(r0.body);
  tampered[10] ^= 1;
  assert.equal(verifySignature(SECRET, tampered, r0.signature), false, 'a tampered body fails verification');
  assert.equal(verifySignature('another secret', r0.body, r0.signature), false, 'a different secret fails verification');

  await kumo.stop('SIGTERM');
  const stopped = kumo.lines.find((l) => String(l.msg).startsWith('hook:wh: stopped'));
  assert.equal(stopped?.backlog, 0, 'nothing left in the hook queue');
  assert.equal(stopped?.delivered, COUNT);
});

test('kill -9 halfway and a restart: none missing, duplicates counted', { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const rx = webhookReceiver(port, { secret: SECRET });
  rx.delayMs = 500; // a slow receiver (200 events/s): events queued and in flight when the process dies
  cleanups.push(() => rx.close());
  await rx.listen();
  const L = await lab(port, 'connection_limit = 1');
  let kumo = await startLabServer(L.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  // 503 while the messages come in: the events pile up in hook:wh, then flow at 200/s
  rx.status = 503;
  const accepted = await inject(L.smtpPort, L.msgs, 8);
  assert.equal(accepted.size, COUNT);
  rx.status = 200;
  // halfway: half the Delivery records are at the receiver
  await waitUntil(() => rx.seen.size >= COUNT / 2, 90_000, 'half the events at the receiver');
  kumo.child.kill('SIGKILL');
  await kumo.stop('SIGKILL');
  const atCrash = rx.seen.size;
  t.diagnostic(`killed with ${accepted.size} messages accepted, ${L.got.length} delivered, ${atCrash} Delivery records at the receiver`);
  assert.ok(accepted.size > atCrash, 'events were still queued when the process died');

  kumo = await startLabServer(L.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  const rcptOf = (i: number) => `u${i}@hooks.test`;
  const delivered = () => new Set(rx.records.filter((r) => r.type === 'Delivery').map((r) => String(r.recipient)));
  await waitUntil(() => {
    const d = delivered();
    return [...accepted].every((i) => d.has(rcptOf(i)));
  }, 150_000, 'a Delivery record at the receiver for every accepted message').catch((e: Error) => {
    throw new Error(`${e.message}; have ${delivered().size}/${accepted.size}; kumo log:\n${kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await kumo.stop('SIGTERM');
  // every Delivery record in the log files, from both runs, reached the receiver
  for (const k of deliveryKeys(L.logs)) assert.ok(rx.seen.has(k), `Delivery record ${k} reached the receiver`);
  assert.equal(rx.badSignatures, 0);
  // two kinds of duplicates: an event sent again (taken but not yet removed at the crash), and
  // a message delivered again (sent but not yet removed from the mail spool): a second Delivery record
  const dupEvents = rx.duplicates();
  const perMessage = new Map<string, number>();
  for (const r of rx.seen.keys()) perMessage.set(r.split(' ').slice(1, 3).join(' '), (perMessage.get(r.split(' ').slice(1, 3).join(' ')) ?? 0) + 1);
  const redelivered = [...perMessage.values()].filter((n) => n > 1).length;
  t.diagnostic(`after restart: ${rx.records.length} records received, ${rx.seen.size} distinct events; events sent twice: ${dupEvents}; messages delivered twice: ${redelivered}`);
  // duplicates come only from what was in flight or not yet removed when the process died
  // at most the batches in flight at the crash (one at the receiver, one whose answer was on its way)
  assert.ok(dupEvents <= 2 * 100, `event duplicates bounded by what was in flight (${dupEvents})`);
});
