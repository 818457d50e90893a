import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RecordWriter } from '../../src/logging/record-writer.js';
import type { LogRecord } from '../../src/logging/types.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {
      // keep going
    }
  }
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kumo-logs-durable-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const rec = (i: number, pad = 0): LogRecord => ({
  type: 'Delivery', id: `id${i}`, sender: 's@example.org', recipient: 'r@example.net',
  response: { code: 250, content: 'OK' + 'x'.repeat(pad) }, timestamp: Date.now() / 1000,

}) as LogRecord;

/** Every line of the .jsonl files in `d`, parsed (a torn line fails the parse). */
function lines(d: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const f of readdirSync(d).sort()) if (f.endsWith('.jsonl')) for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l) out.push(JSON.parse(l) as LogRecord);
  return out;
}

const settings = (d: string) => () => ({ path: d, maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false });

describe('log record writer: durable writes', () => {
  test('writeDurable resolves only once the record is in the file, without waiting for the flush interval', async () => {
    const d = dir();
    const w = new RecordWriter({ settings: settings(d), flushIntervalMs: 60_000 });
    const t0 = Date.now();
    await w.writeDurable(rec(1));
    assert.ok(Date.now() - t0 < 30_000);
    assert.deepEqual(lines(d).map((r) => r.id), ['id1']);
    await w.close();
  });

  test('durable() is a barrier for the fire-and-forget records written before it', async () => {
    const d = dir();
    const w = new RecordWriter({ settings: settings(d), flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) w.write(rec(i));
    assert.deepEqual(lines(d), [], 'still buffered');
    await w.durable();
    assert.equal(lines(d).length, 10);
    await w.durable(); // nothing new: resolves at once
    await w.close();
  });

  test('the file is written with O_DSYNC: an append is on disk when it returns (no separate fdatasync)', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc/self/fdinfo');
    const d = dir();
    const w = new RecordWriter({ settings: settings(d), flushIntervalMs: 60_000 });
    await w.writeDurable(rec(1));
    const file = w.currentFile!;
    // the open descriptor of the current file, as the kernel sees it (flags are octal)
    const fd = readdirSync('/proc/self/fd').find((n) => {
      try {
        return readlinkSync(`/proc/self/fd/${n}`) === file;
      } catch {
        return false;
      }
    });
    assert.ok(fd, `no descriptor open on ${file}`);
    const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    assert.equal(flags & constants.O_DSYNC, constants.O_DSYNC, `flags 0${flags.toString(8)} lack O_DSYNC`);
    assert.equal(flags & constants.O_APPEND, constants.O_APPEND);
    await w.close();
  });

  test('concurrent writers share synchronous appends (group commit)', async () => {
    const d = dir();
    const w = new RecordWriter({ settings: settings(d) });
    // 500 sessions, each writing one record and waiting for it, arriving over a few turns
    const all: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      all.push(w.writeDurable(rec(i)));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    assert.equal(lines(d).length, 500);
    assert.ok(w.syncs <= 50, `500 durable records took ${w.syncs} durable rounds`);
    await w.close();
  });

  test('a full log disk: writeDurable rejects, nothing is torn or lost, and it recovers when space returns', async (t) => {
    const root = dir();
    const mnt = join(root, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      t.skip(`cannot mount a tmpfs (needs root): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
      return;
    }
    cleanups.push(() => execFileSync('umount', ['-l', mnt], { stdio: 'pipe' }));
    const logs = join(mnt, 'logs');
    const errors: string[] = [];
    const w = new RecordWriter({
      settings: settings(logs), flushIntervalMs: 20,
      log: { error: (m: string) => errors.push(m), warn() {}, info() {}, debug() {}, child() { return this; } },
    });
    // leave about 20 KB free
    const filler = join(mnt, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: it took what there was
    }
    const big = readFileSync(filler);
    unlinkSync(filler);
    writeFileSync(filler, big.subarray(0, Math.max(0, big.length - 20 * 1024)));

    let rejected = 0;
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => w.writeDurable(rec(i, 400))));
    for (const r of results) if (r.status === 'rejected') rejected++;
    assert.ok(rejected > 0, 'some durable writes failed while the disk was full');
    assert.ok(errors.length >= 1 && errors.length <= 3, `the failure was logged, not per record (${errors.length} lines)`);

    unlinkSync(filler);
    await w.durable(); // retried: everything reaches the file now
    const got = lines(logs).map((r) => r.id);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `id${i}`), 'every record once, in order');
    await w.close();
  });
});
