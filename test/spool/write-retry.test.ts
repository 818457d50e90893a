// The queue's spool writes (state updates, removals) are retried while the spool cannot write,
// not lost. A real lmdb spool on a real tmpfs that fills up; skipped when it cannot mount one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { SpoolStateWriter } from '../../src/spool/write-retry.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // keep going
    }
  }
});

const meta = (id: string): SpoolMeta => ({
  id, sender: 's@example.org', recipients: [{ address: 'r@example.net', status: 'pending' }],
  receivedAt: Date.now(), size: 1, reception: { protocol: 'ESMTP' }, attempts: 0, due: 0,
});

test('updates and removals that fail on a full spool are retried until they succeed', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kumo-write-retry-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const mnt = join(root, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (e) {
    t.skip(`cannot mount a tmpfs (needs root): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
    return;
  }
  cleanups.push(() => execFileSync('umount', ['-l', mnt], { stdio: 'pipe' }));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(l) });
  const spool = LmdbSpool.open({ path: join(mnt, 'spool'), log, probeIntervalMs: 200 });
  cleanups.push(() => spool.close());

  await spool.put(meta('a'), Buffer.from('body a'));
  await spool.put(meta('b'), Buffer.from('body b'));
  // fill it up
  const body = Buffer.alloc(256 * 1024, 0x61);
  for (let i = 0; i < 100; i++) {
    try {
      await spool.put(meta(`fill${i}`), body);
    } catch {
      break;
    }
  }
  assert.equal(spool.health.healthy, false, 'the spool is full');

  const writer = new SpoolStateWriter({ spool, log, minDelayMs: 50, maxDelayMs: 200 });
  // state updates too large for what is left fail: they must not be lost
  const big = 'x'.repeat(3 * 1024 * 1024);
  const a = meta('a');
  a.attempts = 3;
  a.extra = { big };
  const doneA = writer.submit(a, 'update');
  const b = meta('b');
  b.extra = { big };
  void writer.submit(b, 'update');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await spool.getMeta('a'))?.attempts, 0, 'the update has not reached the disk yet');
  assert.ok(writer.failing >= 1, 'a failed write waits for its retry');
  const doneB = writer.submit(b, 'remove'); // the newest state replaces the failed update

  execFileSync('mount', ['-o', 'remount,size=64m', mnt], { stdio: 'pipe' });
  // the retry timers do not hold the event loop open (a server has its sockets for that)
  const keepalive = setInterval(() => undefined, 1000);
  await Promise.all([doneA, doneB]);
  clearInterval(keepalive);
  const gotA = await spool.getMeta('a');
  assert.equal(gotA?.attempts, 3, 'the update was retried and is on disk');
  assert.equal((gotA?.extra as { big?: string } | undefined)?.big?.length, big.length);
  assert.equal(await spool.getMeta('b'), undefined, 'the removal was retried and is on disk');
  assert.equal(writer.pending, 0);
  assert.equal(writer.failing, 0);
  // the spool found by itself that it can write again
  const t0 = Date.now();
  while (!spool.health.healthy && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  assert.equal(spool.health.healthy, true);
  await spool.put(meta('c'), body);
  const msgs = lines.map((l) => JSON.parse(l).msg as string);
  assert.equal(msgs.filter((m) => m.startsWith('spool cannot write')).length, 1, 'the outage is logged once');
});

test('a write that fails because the spool closed at shutdown is given up (logged), not retried', { timeout: 30_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'kumo-write-retry-closed-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) });
  const spool = LmdbSpool.open({ path: join(root, 'spool'), log });
  await spool.put(meta('a'), Buffer.from('body a'));
  await spool.close();
  const writer = new SpoolStateWriter({ spool, log, minDelayMs: 50, maxDelayMs: 200 });
  const a = meta('a');
  a.attempts = 2;
  await writer.submit(a, 'update'); // resolves: given up, not left waiting for a retry
  assert.equal(writer.pending, 0);
  assert.equal(writer.failing, 0, 'no retry is scheduled');
  const gaveUp = lines.filter((l) => l.msg === 'spool update given up at shutdown; the message keeps its previous spooled state');
  assert.equal(gaveUp.length, 1, JSON.stringify(lines));
  assert.equal(gaveUp[0].id, 'a');
  assert.match(String(gaveUp[0].error), /the spool is closed/);
  assert.ok(!lines.some((l) => String(l.msg).includes('retrying')), 'nothing is retried');
  // the owner's stopping flag gives a failed removal up the same way
  let stopping = false;
  const w2 = new SpoolStateWriter({ spool, log, stopping: () => stopping, minDelayMs: 50 });
  stopping = true;
  await w2.submit(meta('b'), 'remove');
  assert.equal(lines.filter((l) => l.msg === 'spool remove given up at shutdown; the message keeps its previous spooled state').length, 1);
});

test('journal lines ride the state writes: a waiting update replaced by a newer one (or a removal) keeps its lines', { timeout: 30_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'kumo-write-retry-journal-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const log = createLogger({ level: 'warn', out: () => undefined });
  const spool = LmdbSpool.open({ path: join(root, 'spool'), log });
  cleanups.push(() => spool.close());
  await spool.put(meta('c'), Buffer.from('body c'));
  const stored: string[] = [];
  const writer = new SpoolStateWriter({ spool, log, stored: (k) => stored.push(k) });
  // the first update runs (held at its barrier); the next two wait and are coalesced into the removal
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const first = writer.submit(meta('c'), 'update', () => held, { key: ':c.1', lines: 'one\n' });
  void writer.submit(meta('c'), 'update', undefined, { key: ':c.2', lines: 'two\n' });
  void writer.submit(meta('c'), 'remove', undefined, { key: ':c.3', lines: 'three\n' });
  // after a removal nothing else is written, but the lines of a late record still ride it
  void writer.submit(meta('c'), 'update', undefined, { key: ':c.4', lines: 'four\n' });
  release();
  await first;
  assert.deepEqual(spool.ids(), [], 'removed');
  assert.deepEqual(spool.journal(':').map((e) => [e.key, e.lines]), [[':c.1', 'one\n'], [':c.4', 'two\nthree\nfour\n']]);
  assert.deepEqual(stored, [':c.1', ':c.4'], 'each stored entry is reported, to be cleared once the file has its lines');
});
