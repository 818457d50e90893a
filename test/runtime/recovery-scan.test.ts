// The owner's recovery scan after a reception worker died (src/runtime/recovery-scan.ts) next
// to a queue that keeps delivering: a message delivered while the scan runs must not come
// back from the scan's old snapshot, nor while its removal is still being written, nor from
// an announcement that comes late (src/queue/recent-ids.ts). Real
// QueueManager, LmdbSpool and records; a raw SMTP peer on loopback counts the deliveries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RecentIds } from '../../src/queue/recent-ids.js';
import { recoverSpooled } from '../../src/runtime/recovery-scan.js';
import type { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { Spool, SpoolMeta } from '../../src/spool/types.js';
import { QueueHarness, eventually } from '../helpers/queue-harness.js';
import { RawSmtpPeer } from '../helpers/raw-smtp-peer.js';

const zone = `
["rec.test"]
mx = ["10 mx.peer.test"]
["mx.peer.test"]
a = ["127.0.0.2"]
`;
const body = (tag: string) => `From: a@kumo.test\r\nTo: b@rec.test\r\nSubject: ${tag}\r\nX-Tag: ${tag}\r\n\r\nbody\r\n`;

/** The real spool with hooks around a scan's items and removals (the pauses a busy loop makes). */
function pausing(real: LmdbSpool, hooks: { beforeYield?: (m: SpoolMeta) => Promise<void>; beforeRemove?: (id: string) => Promise<void> }): Spool {
  return {
    put: (m, b, o) => real.put(m, b, o),
    putMany: (e, o) => real.putMany(e, o),
    getBody: (id) => real.getBody(id),
    getMeta: (id) => real.getMeta(id),
    updateMeta: (m) => real.updateMeta(m),
    remove: async (id) => {
      await hooks.beforeRemove?.(id);
      return real.remove(id);
    },
    async *scan(from) {
      for await (const m of real.scan(from)) {
        await hooks.beforeYield?.(m);
        yield m;
      }
    },
    current: (ids) => real.current(ids),
    count: () => real.count(),
    journal: (prefix) => real.journal(prefix),
    clearJournal: (keys) => real.clearJournal(keys),
    close: () => real.close(),
  };
}

// without the queue's memory of finished ids (window 0): each of the other guards on its own
describe('recovery scan next to a delivering queue', () => {
  let peer: RawSmtpPeer;
  let h: QueueHarness;
  const hooks: Parameters<typeof pausing>[1] = {};
  let spool!: Spool;
  const delivered = (tag: string) => peer.messages.filter((m) => m.includes(`X-Tag: ${tag}\r\n`)).length;

  before(async () => {
    peer = await RawSmtpPeer.start('127.0.0.2');
    h = await QueueHarness.start({ zone, sources: `[source."unspecified"]\nremote_port = ${peer.port}\n`, spool: (real) => (spool = pausing(real, hooks)), finishedWindowMs: 0 });
  });
  after(async () => {
    await h?.close();
    await peer?.close();
  });

  test('a message delivered and removed after the scan read it is not scheduled again; an unannounced one is', async () => {
    const announced = h.meta('a@kumo.test', ['x@rec.test']);
    const lost = h.meta('a@kumo.test', ['y@rec.test']);
    // both committed by the "worker"; only the first announced, and only once the scan has begun
    await h.spool.put(announced, Buffer.from(body('announced')));
    await h.spool.put(lost, Buffer.from(body('lost')));
    hooks.beforeYield = async (m) => {
      if (m.id !== announced.id) return;
      h.manager.enqueue(announced);
      await eventually(() => delivered('announced') === 1 && !h.manager.has(announced.id) && h.spool.current([announced.id]).length === 0, 10_000, 'the announced message delivered and its removal committed');
    };
    const r = await recoverSpooled({ spool, intake: h.manager }, '0');
    hooks.beforeYield = undefined;
    assert.deepEqual(r, { scanned: 2, recovered: 1 }, 'the scan read both; only the unannounced one was recovered');
    await eventually(() => delivered('lost') === 1 && h.manager.size === 0, 10_000, 'the unannounced message delivered');
    // a second delivery of the announced message would be under way by now (same queue, same peer)
    assert.equal(delivered('announced'), 1, 'the announced message was delivered once');
  });

  test('while a delivered message\'s removal is being written, the queue still counts it as its own', async () => {
    const m = h.meta('a@kumo.test', ['z@rec.test']);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let removing = false;
    hooks.beforeRemove = async (id) => {
      if (id !== m.id) return;
      removing = true;
      await held;
    };
    await h.submit(m, body('pending-removal'));
    await eventually(() => removing, 10_000, 'the removal of the delivered message under way');
    assert.equal(delivered('pending-removal'), 1);
    assert.ok(h.manager.has(m.id), 'has() is true while the removal is not committed');
    // what a scan would find now: still spooled, not held by any delivery
    const found = h.spool.current([m.id]);
    assert.equal(found.length, 1, 'the message is still in the spool');
    const r = await recoverSpooled({ spool: h.spool, intake: h.manager }, '0');
    assert.equal(r.recovered, 0, 'the recovery scan leaves it alone');
    h.manager.enqueue(found[0]);
    assert.equal(h.manager.size, 0, 'an announcement arriving now is ignored');
    release();
    hooks.beforeRemove = undefined;
    await eventually(() => !h.manager.has(m.id) && h.spool.current([m.id]).length === 0, 10_000, 'the removal committed');
    assert.equal(delivered('pending-removal'), 1, 'delivered once');
  });
});

describe('the queue remembers the messages it finished', () => {
  let peer: RawSmtpPeer;
  let h: QueueHarness;
  const delivered = (tag: string) => peer.messages.filter((m) => m.includes(`X-Tag: ${tag}\r\n`)).length;

  before(async () => {
    peer = await RawSmtpPeer.start('127.0.0.2');
    h = await QueueHarness.start({ zone, sources: `[source."unspecified"]\nremote_port = ${peer.port}\n` });
  });
  after(async () => {
    await h?.close();
    await peer?.close();
  });

  test('an announcement that comes after the message was delivered and removed is ignored', async () => {
    const m = await h.submit(h.meta('a@kumo.test', ['late@rec.test']), body('late'));
    await eventually(() => delivered('late') === 1 && h.manager.size === 0 && h.spool.current([m.id]).length === 0, 10_000, 'delivered and removed');
    assert.ok(h.manager.has(m.id), 'still known as finished');
    // a reception worker's 'spooled' for it, late in the channel
    h.manager.enqueue(m);
    assert.equal(h.manager.size, 0, 'not scheduled again');
    const other = await h.submit(h.meta('a@kumo.test', ['next@rec.test']), body('next'));
    await eventually(() => delivered('next') === 1 && h.manager.size === 0 && h.spool.current([other.id]).length === 0, 10_000, 'a later message delivered');
    assert.equal(delivered('late'), 1, 'delivered once');
  });
});

test('RecentIds forgets ids after the window and beyond its size', () => {
  const r = new RecentIds(1_000, 3);
  r.add('a', 0);
  r.add('b', 10);
  assert.ok(r.has('a', 500) && r.has('b', 500));
  assert.ok(!r.has('a', 1_000), 'a is out of the window');
  r.add('c', 20);
  r.add('d', 30);
  assert.equal(r.size, 3, 'the oldest went when a fourth came');
  assert.ok(!r.has('a', 30) && r.has('b', 30) && r.has('d', 30));
  r.add('e', 1_015);
  assert.deepEqual(['b', 'c', 'd', 'e'].filter((id) => r.has(id, 1_015)), ['c', 'd', 'e'], 'b pruned by age as e came');
  assert.equal(r.size, 3);
});
