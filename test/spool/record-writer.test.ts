import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import type { LogRecord } from '../../src/logging/types.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kumo-logs-'));
  dirs.push(d);
  return d;
}

const rec = (i: number): LogRecord => ({
  type: 'Reception', id: `id${i}`, sender: 's@example.org', recipient: 'r@example.net',
  response: { code: 250, content: 'OK' }, timestamp: Date.now() / 1000,

}) as LogRecord;

function readAll(d: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const f of readdirSync(d).sort()) {
    const buf = readFileSync(join(d, f));
    const text = f.endsWith('.gz') ? gunzipSync(buf).toString() : buf.toString();
    for (const l of text.split('\n')) if (l) out.push(JSON.parse(l) as LogRecord);
  }
  return out;
}

describe('log record writer', () => {
  test('buffers JSON lines and flushes them promptly', async () => {
    const d = dir();
    const w = new RecordWriter({ settings: () => ({ path: d, maxFileSize: 1 << 20, maxFileAgeMs: 3_600_000, compress: true }), flushIntervalMs: 20 });
    w.write(rec(1));
    // flushed without a close: wait for the whole line (a fixed sleep failed on a loaded machine)
    for (let i = 0; i < 400 && !(readdirSync(d).length === 1 && readFileSync(join(d, readdirSync(d)[0]!), 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 25));
    const files = readdirSync(d);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^\d{8}-\d{6}\.\d{3}\.jsonl$/);
    assert.equal(JSON.parse(readFileSync(join(d, files[0]!), 'utf8')).id, 'id1');
    await w.close();
    assert.deepEqual(readdirSync(d).map((f) => f.endsWith('.jsonl.gz')), [true], 'closed file compressed');
  });

  test('rotates by size and gzips rotated files; nothing is lost', async () => {
    const d = dir();
    const w = new RecordWriter({ settings: () => ({ path: d, maxFileSize: 2000, maxFileAgeMs: 3_600_000, compress: true }), flushIntervalMs: 1, flushBytes: 500 });
    for (let i = 0; i < 200; i++) {
      w.write(rec(i));
      if (i % 10 === 0) await w.flush();
    }
    await w.close();
    const files = readdirSync(d);
    assert.ok(files.length > 3, `rotated into ${files.length} files`);
    assert.ok(files.every((f) => f.endsWith('.jsonl.gz')));
    assert.deepEqual(readAll(d).map((r) => r.id), Array.from({ length: 200 }, (_, i) => `id${i}`));
  });

  test('rotates by age, and compresses files a crashed run left behind', async () => {
    const d = dir();
    writeFileSync(join(d, '20200101-000000.000.jsonl'), JSON.stringify(rec(0)) + '\n');
    const w = new RecordWriter({ settings: () => ({ path: d, maxFileSize: 1 << 20, maxFileAgeMs: 50, compress: true }), flushIntervalMs: 1 });
    w.write(rec(1));
    await w.flush();
    await new Promise((r) => setTimeout(r, 80));
    w.write(rec(2));
    await w.close();
    const files = readdirSync(d).sort();
    assert.equal(files.length, 3);
    assert.ok(files.every((f) => f.endsWith('.gz')), files.join(','));
    assert.deepEqual(readAll(d).map((r) => r.id), ['id0', 'id1', 'id2']);
  });
  test('a log hook tap that throws is logged; the file and the other taps still get the record', async () => {
    const d = dir();
    const lines: string[] = [];
    const w = new RecordWriter({ settings: () => ({ path: d, maxFileSize: 1 << 20, maxFileAgeMs: 3_600_000, compress: false }), flushIntervalMs: 1, log: createLogger({ out: (l) => lines.push(l) }) });
    const got: string[] = [];
    w.addTap({ accept: () => { throw new Error('tap broken'); }, durable: async () => undefined });
    w.addTap({ accept: (r) => got.push(r.id as string), durable: async () => undefined });
    w.write(rec(1));
    await w.close();
    assert.deepEqual(got, ['id1']);
    assert.deepEqual(readAll(d).map((r) => r.id), ['id1']);
    const err = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'a log hook could not take a record');
    assert.ok(err, lines.join('\n'));
    assert.equal(err.error, 'tap broken');
    assert.equal(err.id, 'id1');
  });

  test('a record written after close is dropped with a warning, not written to a closed file', async () => {
    const d = dir();
    const lines: string[] = [];
    const w = new RecordWriter({ settings: () => ({ path: d, maxFileSize: 1 << 20, maxFileAgeMs: 3_600_000, compress: false }), flushIntervalMs: 1, log: createLogger({ out: (l) => lines.push(l) }) });
    w.write(rec(1));
    await w.close();
    w.write(rec(2));
    assert.deepEqual(readAll(d).map((r) => r.id), ['id1']);
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'log record written after close; dropped' && JSON.parse(l).id === 'id2'), lines.join('\n'));
  });
  test('logs.path cannot be opened: records wait (retried); past maxPendingBytes they are dropped and counted; then it recovers', { timeout: 60_000 }, async () => {
    const d = dir();
    const logs = join(d, 'logs');
    const lines: Record<string, unknown>[] = [];
    const w = new RecordWriter({ settings: () => ({ path: logs, maxFileSize: 1 << 20, maxFileAgeMs: 3_600_000, compress: false }), flushIntervalMs: 1, maxPendingBytes: 400, log: createLogger({ out: (l) => lines.push(JSON.parse(l)) }) });
    // replaced by a file after the start (the writer opens its first file at the first record)
    rmSync(logs, { recursive: true, force: true });
    writeFileSync(logs, 'a file where the directory should be');
    const until = async (what: string, pred: () => boolean) => {
      for (let i = 0; !pred(); i++) {
        if (i > 400) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    w.write(rec(1));
    await until('the write failure', () => lines.some((l) => l.msg === 'writing log records failed; retrying'));
    for (let i = 2; i <= 6; i++) w.write(rec(i));
    await until('the drop', () => lines.some((l) => l.msg === 'log records dropped: the log file cannot be written and the retry buffer is full'));
    rmSync(logs);
    mkdirSync(logs, { recursive: true }); // its own retry may have made it already
    await until('the records written', () => readdirSync(logs).length > 0 && readAll(logs).length > 0);
    await w.close();
    const ids = readAll(logs).map((r) => r.id);
    assert.equal(ids[0], 'id1', 'the first record waited and was written');
    const dropped = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('log records dropped')).reduce((n, l) => n + (l.records as number), 0);
    assert.ok(dropped > 0);
    assert.equal(ids.length + dropped, 6, `every record written or counted as dropped (${ids.join(',')})`);
  });
});
