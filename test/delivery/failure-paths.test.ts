// Issue 14 item 1: delivery paths an MTA lives by that no test ran — a body missing from the
// spool, expiry when a message comes due, a pool with no usable source, suspend_when_unplumbed,
// idle_timeout. An in-process queue (real spool, records, config files) delivering to peers on
// loopback; 192.0.2.55 (TEST-NET-1) is never plumbed here, so binding to it fails with
// EADDRNOTAVAIL before anything is sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QueueHarness, eventually } from '../helpers/queue-harness.js';
import { RawSmtpPeer } from '../helpers/raw-smtp-peer.js';

const BODY = (tag: string) => `From: a@kumo.test\r\nTo: b@x.test\r\nSubject: ${tag}\r\nX-Tag: ${tag}\r\n\r\nbody of ${tag}\r\n`;
const UNPLUMBED = '192.0.2.55';

const zone = `
["ok.test"]
mx = ["10 mx.peer.test"]
["exp.test"]
mx = ["10 mx.peer.test"]
["solo.test"]
mx = ["10 mx.peer.test"]
["mixed.test"]
mx = ["10 mx.peer.test"]
["mx.peer.test"]
a = ["127.0.0.2"]
`;

describe('delivery failure paths (in-process queue, peers on loopback)', () => {
  let peer: RawSmtpPeer;
  let h: QueueHarness;
  const delivered = (tag: string) => peer.messages.filter((m) => m.includes(`X-Tag: ${tag}\r\n`)).length;

  before(async () => {
    peer = await RawSmtpPeer.start('127.0.0.2');
    h = await QueueHarness.start({
      zone,
      sources: `
[source."unspecified"]
remote_port = ${peer.port}
[source."bad"]
source_address = "${UNPLUMBED}"
remote_port = ${peer.port}
suspend_when_unplumbed = { duration = "3s" }
[source."badlong"]
source_address = "${UNPLUMBED}"
remote_port = ${peer.port}
suspend_when_unplumbed = { duration = "1h" }
[source."good"]
remote_port = ${peer.port}
[pool."solo"]
[pool."solo"."bad"]
[pool."mixed"]
[pool."mixed"."badlong"]
[pool."mixed"."good"]
`,
      queues: `
[queue.'exp.test']
max_age = "1h"
[queue.'solo.test']
egress_pool = "solo"
retry_interval = "500ms"
[queue.'mixed.test']
egress_pool = "mixed"
retry_interval = "500ms"
`,
      shaping: `
["default"]
idle_timeout = "400ms"
`,
    });
  });
  after(async () => {
    await h?.close();
    await peer?.close();
  });

  test('a body missing from the spool when its delivery comes: dropped from the queue with a warning, nothing sent; the queue goes on', async () => {
    // the metadata reaches the queue, the body never reached the spool
    const lost = h.meta('a@kumo.test', ['x@ok.test']);
    h.manager.enqueue(lost);
    await eventually(() => h.logged(/message body missing from the spool/).some((l) => l.includes(lost.id)), 10_000, 'the missing-body warning');
    assert.equal(h.manager.size, 0, 'the message is no longer held by the queue');
    await h.submit(h.meta('a@kumo.test', ['y@ok.test']), BODY('after-missing'));
    await eventually(() => delivered('after-missing') === 1, 10_000, 'the next message delivered');
    const recs = await h.recordsOf();
    assert.deepEqual(recs.filter((r) => r.id === lost.id), [], 'no attempt was recorded for the lost message');
    assert.equal(peer.messages.length, 1, 'only the next message reached the peer');
  });

  test('expiry when a message comes due: its due time is past received + max_age → Expiration, no attempt, removed from the spool', async () => {
    const now = Date.now();
    const due = now + 600;
    // received almost an hour ago (max_age = 1h); its next attempt, from the spool, is after the hour
    const m = await h.submit(h.meta('a@kumo.test', ['late@exp.test'], { receivedAt: now - 3_600_000 + 300, due, attempts: 3 }), BODY('expired'));
    const rec = await eventually(async () => (await h.recordsOf('Expiration')).find((r) => r.id === m.id), 10_000, 'the Expiration record');
    assert.match(rec.response.content, /older than max_age/);
    assert.equal(rec.response.code, 551);
    assert.ok(rec.timestamp * 1000 >= due - 1000, 'expired when it came due, not at intake');
    assert.equal(delivered('expired'), 0, 'never sent');
    await eventually(async () => (await h.spool.getMeta(m.id)) === undefined, 10_000, 'the spool removal');
  });

  test('a pool whose only source is suspended (unplumbed) has no usable source: its messages wait for the suspension to end, no attempt meanwhile', async () => {
    const a = await h.submit(h.meta('a@kumo.test', ['a@solo.test']), BODY('solo-a'));
    const first = await eventually(async () => (await h.recordsOf('TransientFailure')).find((r) => r.id === a.id), 10_000, 'the first (unplumbed) failure');
    assert.equal(first.egress_source, 'bad');
    assert.match(first.response.content, /EADDRNOTAVAIL|address not available/i);
    const suspendedAt = first.timestamp * 1000;
    // a second message for the pool while its only source is suspended
    const b = await h.submit(h.meta('a@kumo.test', ['b@solo.test']), BODY('solo-b'));
    // both are tried again only once the 3 s suspension is over (retry_interval is 500 ms)
    const later = await eventually(async () => {
      const recs = (await h.recordsOf('TransientFailure')).filter((r) => r.id === b.id || (r.id === a.id && r.timestamp !== first.timestamp));
      return recs.some((r) => r.id === a.id) && recs.some((r) => r.id === b.id) ? recs : undefined;
    }, 15_000, 'the attempts after the suspension');
    for (const r of later) assert.ok(r.timestamp * 1000 >= suspendedAt + 2_900, `${r.recipient} tried ${r.timestamp * 1000 - suspendedAt} ms after the suspension began (it lasts 3 s)`);
    assert.equal(delivered('solo-a') + delivered('solo-b'), 0);
  });

  test('suspend_when_unplumbed: after one EADDRNOTAVAIL the source is skipped and the pool sends from its other source', async () => {
    const n = 4;
    for (let i = 0; i < n; i++) {
      await h.submit(h.meta('a@kumo.test', [`u${i}@mixed.test`]), BODY(`mixed-${i}`));
      await eventually(() => delivered(`mixed-${i}`) === 1, 10_000, `mixed-${i} delivered`);
    }
    // the sink has the message before the queue writes its Delivery record: wait for the records
    const recs = await eventually(async () => {
      const all = (await h.recordsOf()).filter((r) => String(r.recipient).endsWith('@mixed.test'));
      return all.filter((r) => r.type === 'Delivery').length >= n ? all : undefined;
    }, 10_000, `${n} Delivery records for mixed.test`);
    const fails = recs.filter((r) => r.type === 'TransientFailure');
    assert.deepEqual(fails.map((r) => [r.recipient, r.egress_source]), [['u0@mixed.test', 'badlong']], 'one failure: the first pick, before the suspension');
    const ok = recs.filter((r) => r.type === 'Delivery');
    assert.equal(ok.length, n);
    assert.ok(ok.every((r) => r.egress_source === 'good'), JSON.stringify(ok.map((r) => r.egress_source)));
  });

  test('idle_timeout: an idle outbound connection is closed with QUIT once idle_timeout passes', async () => {
    const before = peer.connections.length;
    await h.submit(h.meta('a@kumo.test', ['idle@ok.test']), BODY('idle'));
    await eventually(() => delivered('idle') === 1, 10_000, 'the delivery');
    const sentAt = Date.now();
    const conn = peer.connections.slice(before).find((c) => c.messages.some((m) => m.includes('X-Tag: idle\r\n')))!;
    // idle_timeout is 400 ms here; the default (60 s) would outlast this wait
    await eventually(() => conn.closedAt !== undefined, 15_000, 'the idle connection closed');
    assert.ok(conn.quit, 'closed with QUIT');
    assert.ok(conn.closedAt! - sentAt >= 300, `closed ${conn.closedAt! - sentAt} ms after the message: it waited idle first`);
  });
});
