import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkMessage } from '../../src/sink/sink.js';
import { SmtpClient } from '../smtp/helpers.js';
import { collectingSink, freePort, readRecords, runCleanups, startLab, waitUntil } from '../queue/lab.js';

/**
 * KumoMTA's scheduling header (queues.toml `scheduling_header`, its queue helper's
 * import_scheduling_header(name, true)) on the real path: reception reads and removes it,
 * first_attempt holds the message back, a delivery window moves it to the window's next
 * start, expires replaces max_age, and an invalid header refuses the message naming the fault.
 */
const ZONE = `
["sched.test"]
mx = ["10 mx.sched.test"]
["mx.sched.test"]
a = ["127.0.0.1"]
`;

const cleanups: (() => unknown)[] = [];
const got: SinkMessage[] = [];
let smtpPort: number;
let logs: string;

before(async () => {
  const sink = await collectingSink(got, cleanups);
  smtpPort = await freePort();
  const lab = await startLab({ smtpPort, sinkPort: sink.port, zone: ZONE, queues: 'scheduling_header = "X-Schedule"\n' }, cleanups);
  logs = lab.logs;
});
after(() => runCleanups(cleanups));

async function send(to: string, schedule: string, subject: string) {
  const c = await SmtpClient.connect(smtpPort);
  await c.hello();
  const r = await c.send('sched@kumo.test', [to], `From: sched@kumo.test\r\nTo: ${to}\r\nSubject: ${subject}\r\nX-Schedule: ${schedule}\r\n\r\nhello\r\n`);
  await c.quit();
  return r.final ?? r.data;
}

const recordsFor = (rcpt: string) => readRecords(logs).filter((r) => r.recipient === rcpt);

test('first_attempt: the message waits until then (a Delayed record says so), and leaves without the header', { timeout: 30_000 }, async () => {
  const at = new Date(Date.now() + 3_000);
  const r = await send('later@sched.test', JSON.stringify({ first_attempt: at.toISOString() }), 'later');
  assert.equal(r?.code, 250);
  await waitUntil(() => recordsFor('later@sched.test').some((x) => x.type === 'Delayed'), 5_000, 'the Delayed record');
  const delayed = recordsFor('later@sched.test').find((x) => x.type === 'Delayed')!;
  assert.match(delayed.response.content, new RegExp(`^Context: Received, ScheduledForLater\\. Next due in .* at ${at.toISOString().replace(/[.]/g, '\\.')}$`));
  assert.equal(delayed.response.code, 400);
  assert.ok(!got.some((m) => m.to.includes('later@sched.test')), 'not delivered before first_attempt');
  await waitUntil(() => got.some((m) => m.to.includes('later@sched.test')), 15_000, 'delivery after first_attempt');
  const delivery = await (async () => {
    await waitUntil(() => recordsFor('later@sched.test').some((x) => x.type === 'Delivery'), 5_000, 'the Delivery record');
    return recordsFor('later@sched.test').find((x) => x.type === 'Delivery')!;
  })();
  assert.ok(delivery.timestamp * 1000 >= at.getTime() - 1000, `delivered at ${delivery.event_time}, first_attempt ${at.toISOString()}`);
  const m = got.find((x) => x.to.includes('later@sched.test'))!;
  assert.doesNotMatch(m.data.toString('latin1'), /^X-Schedule:/im, 'the header is removed at reception');
  assert.match(m.data.toString('latin1'), /^Subject: later\r$/m);
});

test('a delivery window on another day: the message waits for that day\'s start', { timeout: 20_000 }, async () => {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const now = new Date();
  const dayAfter = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2, 10, 0, 0));
  const r = await send('window@sched.test', JSON.stringify({ dow: days[dayAfter.getUTCDay()], tz: 'UTC', start: '10:00:00', end: '11:00:00' }), 'window');
  assert.equal(r?.code, 250);
  await waitUntil(() => recordsFor('window@sched.test').some((x) => x.type === 'Delayed'), 5_000, 'the Delayed record');
  const delayed = recordsFor('window@sched.test').find((x) => x.type === 'Delayed')!;
  assert.ok(delayed.response.content.endsWith(` at ${dayAfter.toISOString()}`), delayed.response.content);
  await new Promise((res) => setTimeout(res, 500));
  assert.ok(!got.some((m) => m.to.includes('window@sched.test')), 'not delivered outside its window');
});

test('expires replaces max_age: a failing message expires at once when its retry would come after it', { timeout: 20_000 }, async () => {
  // the sink answers tempfail@ with 451; the queue's retry interval (20 minutes) is past expires
  const expires = new Date(Date.now() + 60_000).toISOString();
  const r = await send('tempfail@sched.test', JSON.stringify({ expires }), 'expires');
  assert.equal(r?.code, 250);
  await waitUntil(() => recordsFor('tempfail@sched.test').some((x) => x.type === 'Expiration'), 10_000, 'the Expiration record');
  const exp = recordsFor('tempfail@sched.test').find((x) => x.type === 'Expiration')!;
  assert.match(exp.response.content, new RegExp(`next attempt would be after the expires time of its schedule \\(${expires.replace(/[.]/g, '\\.')}\\)`));
  assert.equal(recordsFor('tempfail@sched.test').filter((x) => x.type === 'TransientFailure').length, 1);
});

test('an invalid scheduling header refuses the message with 550 5.6.0 naming the fault', { timeout: 10_000 }, async () => {
  const r = await send('bad@sched.test', '{"first_attempt":"next tuesday"}', 'bad');
  assert.equal(r?.code, 550);
  assert.match(r!.text, /^5\.6\.0 invalid X-Schedule header: first_attempt: "next tuesday" is not an RFC 3339 date-time/);
  await waitUntil(() => readRecords(logs).some((x) => x.type === 'Rejection' && /invalid X-Schedule header/.test(x.response.content)), 5_000, 'a Rejection record');
  assert.ok(!recordsFor('bad@sched.test').some((x) => x.type === 'Reception'));
});
