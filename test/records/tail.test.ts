// `kumo-ts tail` as a real child process on a log directory written by the real record writer:
// history from gzipped and plain files, following the active file across rotations (the old
// file compressed and unlinked while tail still reads it), filters and the one-line format.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RecordWriter } from '../../src/logging/record-writer.js';
import { logRecord } from '../../src/logging/record-fields.js';
import type { LogRecord, RecordType } from '../../src/logging/types.js';
import { formatRecord, parseSince } from '../../src/cli/tail.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function logDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kumo-tail-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const rec = (n: number, type: RecordType = 'Delivery', rcpt = `u${n}@a.test`, at = Date.now()): LogRecord =>
  logRecord({
    type, id: `id${n}`, sender: 's@kumo.test', recipient: rcpt, queue: rcpt.split('@')[1]!, site: 'mx.a.test', size: 100,
    response: { code: type === 'Bounce' ? 550 : 250, enhanced_code: type === 'Bounce' ? { class: 5, subject: 1, detail: 1 } : null, content: type === 'Bounce' ? 'no such user' : 'OK', command: '.' },
    peer: { name: 'mx.a.test', addr: '127.0.0.2' }, at, created: at, attempts: 1, nodeid: '00000000-0000-4000-8000-000000000000',
  });

function writer(dir: string, fileTag?: string): RecordWriter {
  const w = new RecordWriter({ settings: () => ({ path: dir, maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: true }), flushIntervalMs: 10, fileTag });
  cleanups.push(() => w.close());
  return w;
}

const gzDone = (dir: string, n: number) => waitFiles(dir, (fs) => fs.filter((f) => f.endsWith('.jsonl.gz')).length >= n && !fs.some((f) => f.endsWith('.tmp')));

async function waitFiles(dir: string, pred: (files: string[]) => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(readdirSync(dir)); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(pred(readdirSync(dir)), `files: ${readdirSync(dir).join(' ')}`);
}

function tail(args: string[]): ServerProcess {
  const p = startKumo(['tail', ...args]);
  cleanups.push(() => p.stop());
  return p;
}

const ids = (p: ServerProcess) => p.lines.map((l) => l.id);

describe('kumo-ts tail', { timeout: 60_000 }, () => {
  test('--since: the gzipped history, then the active file, then across two rotations (gzip of the file being read included)', async () => {
    const dir = logDir();
    const w = writer(dir);
    const t0 = Date.now();
    for (let i = 1; i <= 3; i++) w.write(rec(i));
    await w.rotate();
    await gzDone(dir, 1);
    for (let i = 4; i <= 5; i++) w.write(rec(i));
    await w.flush();

    const p = tail([dir, '--since', new Date(t0 - 1000).toISOString(), '--json']);
    await p.waitFor(() => p.lines.length >= 5, 15_000, 'the history');
    assert.deepEqual(ids(p), ['id1', 'id2', 'id3', 'id4', 'id5']);

    // appended to the file tail is reading
    w.write(rec(6));
    await p.waitFor((l) => l.id === 'id6', 10_000, 'an appended record');
    // rotation: the file tail holds is compressed and removed; the next one is followed
    w.write(rec(7));
    await w.rotate();
    w.write(rec(8));
    await w.flush();
    await gzDone(dir, 2);
    await p.waitFor((l) => l.id === 'id8', 10_000, 'a record in the next file');
    await w.rotate();
    for (let i = 9; i <= 10; i++) w.write(rec(i));
    await w.flush();
    await p.waitFor((l) => l.id === 'id10', 10_000, 'a record after the second rotation');
    assert.deepEqual(ids(p), Array.from({ length: 10 }, (_, i) => `id${i + 1}`), 'each record once, in order');
    assert.deepEqual(p.lines[0], JSON.parse(JSON.stringify(rec(1, 'Delivery', 'u1@a.test', Date.parse(String(p.lines[0]!.event_time))))), 'the record as written');
  });

  test('with reception workers: the files of every writer are followed at once, a writer started later too', async () => {
    const dir = logDir();
    const owner = writer(dir);
    const w1 = writer(dir, 'w1');
    owner.write(rec(1));
    w1.write(rec(2));
    await Promise.all([owner.flush(), w1.flush()]);
    const p = tail([dir, '--since', '1h', '--json']);
    await p.waitFor(() => p.lines.length >= 2, 15_000, 'the history of both');
    // appended to both active files: the older-named one is not left behind
    owner.write(rec(3));
    w1.write(rec(4));
    await Promise.all([owner.flush(), w1.flush()]);
    await p.waitFor(() => ids(p).includes('id3') && ids(p).includes('id4'), 10_000, 'appends to both files');
    // a worker rotates while the owner keeps writing to its file
    await w1.rotate();
    w1.write(rec(5));
    owner.write(rec(6));
    await Promise.all([owner.flush(), w1.flush()]);
    await p.waitFor(() => ids(p).includes('id5') && ids(p).includes('id6'), 10_000, 'after the worker rotated');
    // a new worker's first file
    const w2 = writer(dir, 'w2');
    w2.write(rec(7));
    await w2.flush();
    owner.write(rec(8));
    await owner.flush();
    await p.waitFor(() => ids(p).includes('id7') && ids(p).includes('id8'), 10_000, 'a writer that started later');
    assert.deepEqual([...ids(p)].sort(), Array.from({ length: 8 }, (_, i) => `id${i + 1}`).sort(), 'each record once');
  });

  test('without --since: only records written from now on', async () => {
    const dir = logDir();
    const w = writer(dir);
    w.write(rec(1));
    await w.flush();
    const p = tail([dir, '--json']);
    // tail has opened the file once a record written now shows up; the earlier one never does
    for (let i = 2; !p.lines.length && i < 200; i++) {
      w.write(rec(i));
      await w.flush();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(p.lines.length, 'tail prints new records');
    assert.ok(!ids(p).includes('id1'));
  });

  test('filters (--type, --domain, --queue, --id) and the one-line format, over history only (--no-follow)', async () => {
    const dir = logDir();
    const w = writer(dir);
    const old = Date.now() - 3 * 3600_000;
    w.write(rec(1, 'Bounce', 'x@b.test', old));
    await w.rotate();
    await gzDone(dir, 1);
    w.write(rec(2, 'Bounce', 'y@b.test'));
    w.write(rec(3, 'Delivery', 'z@b.test'));
    w.write(rec(4, 'Bounce', 'w@c.test'));
    await w.flush();
    const run = async (args: string[]) => {
      const p = startKumo(['tail', dir, '--no-follow', ...args]);
      assert.equal(await p.stop('SIGCONT'), 0);
      return p.lines;
    };
    assert.deepEqual((await run(['--json', '--since', '1h', '--type', 'bounce'])).map((l) => l.id), ['id2', 'id4']);
    assert.deepEqual((await run(['--json', '--type', 'Bounce', '--domain', 'b.test'])).map((l) => l.id), ['id1', 'id2']);
    assert.deepEqual((await run(['--json', '--queue', 'c.test'])).map((l) => l.id), ['id4']);
    assert.deepEqual((await run(['--json', '--id', 'id3'])).map((l) => l.id), ['id3']);
    const human = await run(['--id', 'id2']);
    assert.equal(human.length, 1);
    assert.match(String(human[0]!.msg), /^\d{4}-\d\d-\d\dT\S+Z Bounce +id2 <s@kumo.test> -> <y@b.test> queue=b.test site=mx.a.test attempts=1 550 5.1.1 no such user$/);
  });

  test('a damaged line or file is reported and skipped, the rest still read', async () => {
    const dir = logDir();
    const w = writer(dir);
    w.write(rec(1));
    await w.flush();
    const { appendFileSync, writeFileSync } = await import('node:fs');
    appendFileSync(w.currentFile!, 'not json\n');
    w.write(rec(2));
    await w.flush();
    writeFileSync(join(dir, '20000101-000000.000.jsonl.gz'), 'not gzip');
    const p = startKumo(['tail', dir, '--no-follow', '--json']);
    assert.equal(await p.stop('SIGCONT'), 0);
    assert.deepEqual(p.lines.filter((l) => l.id).map((l) => l.id), ['id1', 'id2']);
    const errs = p.lines.filter((l) => !l.id).map((l) => String(l.msg));
    assert.ok(errs.some((m) => /20000101-000000\.000\.jsonl\.gz/.test(m)), errs.join('\n'));
    assert.ok(errs.some((m) => /:2: not a JSON record/.test(m)), errs.join('\n'));
  });

  test('--since forms and the formatter', () => {
    const now = Date.parse('2025-09-12T12:00:00Z');
    assert.equal(parseSince('1h', now), now - 3600_000);
    assert.equal(parseSince('2025-09-12T11:08:01Z', now), Date.parse('2025-09-12T11:08:01Z'));
    assert.equal(parseSince('1757675281', now), 1757675281000);
    assert.throws(() => parseSince('yesterday', now), /--since "yesterday"/);
    assert.match(formatRecord(rec(1, 'Delivery', 'a@b.test', now)), /^2025-09-12T12:00:00Z Delivery +id1 <s@kumo.test> -> <a@b.test> queue=b.test site=mx.a.test attempts=1 250 OK$/);
  });
});
