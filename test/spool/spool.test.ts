import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { isSpoolId, newSpoolId, spoolIdTime } from '../../src/spool/spool-id.js';
import type { SpoolMeta } from '../../src/spool/types.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kumo-spool-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function meta(id = newSpoolId(), extra: Partial<SpoolMeta> = {}): SpoolMeta {
  return {
    id, sender: 'a@example.org', recipients: [{ address: 'b@example.net', status: 'pending' }], receivedAt: Date.now(), size: 5,
    reception: { protocol: 'ESMTP', listener: 'smtp', peer: '127.0.0.1' }, attempts: 0, due: 0, ...extra,
  };
}

describe('spool ids', () => {
  test('are unique, 32 hex digits and time-ordered', () => {
    const ids = Array.from({ length: 5000 }, () => newSpoolId());
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((i) => /^[0-9a-f]{32}$/.test(i)));
    assert.deepEqual([...ids].sort(), ids);
    assert.ok(Math.abs(spoolIdTime(ids[0]!) - Date.now()) < 5000);
    assert.ok(ids.every(isSpoolId));
    for (const bad of ['', ids[0]!.slice(1), ids[0]!.toUpperCase(), `${ids[0]!.slice(0, 31)}g`, `../${ids[0]}`]) assert.equal(isSpoolId(bad), false, bad);
  });
});

describe('lmdb spool', () => {
  test('a spool path that is a file: SPOOL_OPEN naming the path', () => {
    const f = join(dir(), 'not-a-dir');
    writeFileSync(f, 'x');
    assert.throws(() => LmdbSpool.open({ path: f }), (e: Error & { code?: string }) => e.code === 'SPOOL_OPEN' && e.message.startsWith(`cannot open the spool at ${f}: `));
  });

  test('put, read, update, remove, count, and it survives a reopen', async () => {
    const d = dir();
    let s = LmdbSpool.open({ path: d });
    const m = meta();
    await s.put(m, Buffer.from('hello'));
    assert.deepEqual(await s.getMeta(m.id), m);
    assert.equal((await s.getBody(m.id))?.toString(), 'hello');
    await s.updateMeta({ ...m, attempts: 3, due: 42 });
    await s.close();
    s = LmdbSpool.open({ path: d });
    assert.equal((await s.getMeta(m.id))?.attempts, 3);
    assert.equal(await s.count(), 1);
    await s.remove(m.id);
    assert.equal(await s.getMeta(m.id), undefined);
    assert.equal(await s.getBody(m.id), undefined);
    assert.equal(await s.count(), 0);
    await s.close();
    await assert.rejects(s.put(meta(), Buffer.from('x')), { code: 'SPOOL_CLOSED' });
  });

  test('concurrent puts all resolve (group commit) and scan returns them in arrival order without bodies', async () => {
    const s = LmdbSpool.open({ path: dir(), commitDelayMs: 2 });
    const metas = Array.from({ length: 2000 }, () => meta());
    await Promise.all(metas.map((m, i) => s.put(m, Buffer.from(`body ${i}`))));
    assert.equal(await s.count(), 2000);
    const seen: string[] = [];
    for await (const m of s.scan()) {
      assert.ok(!('body' in m));
      seen.push(m.id);
    }
    assert.deepEqual(seen, metas.map((m) => m.id));
    await s.close();
  });

  test('deferred messages stay in RAM until their first updateMeta', async () => {
    const d = dir();
    let s = LmdbSpool.open({ path: d });
    const kept = meta();
    const lost = meta();
    await s.put(kept, Buffer.from('kept'), { deferred: true });
    await s.put(lost, Buffer.from('lost'), { deferred: true });
    // a batch (the SMTP reception batch path) is deferred the same way
    const batch = [meta(), meta()];
    await s.putMany(batch.map((m) => ({ meta: m, body: Buffer.from(m.id) })), { deferred: true });
    assert.equal(s.deferredCount, 4);
    assert.equal((await s.getBody(batch[1]!.id))?.toString(), batch[1]!.id);
    await s.remove(batch[0]!.id);
    await s.remove(batch[1]!.id);
    assert.equal(s.deferredCount, 2);
    assert.equal((await s.getBody(kept.id))?.toString(), 'kept');
    let scanned = 0;
    for await (const _ of s.scan()) scanned++;
    assert.equal(scanned, 0, 'deferred messages are not on disk');
    await s.updateMeta({ ...kept, attempts: 1 }); // first transient failure: now durable
    assert.equal(s.deferredCount, 1);
    await s.close();
    s = LmdbSpool.open({ path: d });
    assert.equal((await s.getBody(kept.id))?.toString(), 'kept');
    assert.equal((await s.getMeta(kept.id))?.attempts, 1);
    assert.equal(await s.getMeta(lost.id), undefined, 'the documented risk: a deferred message dies with the process');
    await s.close();
  });
});
