// The Reception record rides the message's spool write (src/logging/record-journal.ts): the
// journal entry is in the spool with the message, forgotten once the log file has the line on
// disk, and after a crash only the lines no log file has are written, once.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { planJournal, RecordJournal, restoreJournal } from '../../src/logging/record-journal.js';
import type { RecordTap } from '../../src/logging/record-writer.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import type { LogRecord } from '../../src/logging/types.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { newSpoolId } from '../../src/spool/spool-id.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { waitUntil } from '../queue/lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function lab() {
  const root = mkdtempSync(join(tmpdir(), 'kumo-journal-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const logs = join(root, 'logs');
  const spool = LmdbSpool.open({ path: join(root, 'spool') });
  cleanups.push(() => spool.close());
  const perRecord = new Map<'Reception', boolean>();
  const records = new RecordWriter({ settings: () => ({ path: logs, maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false, perRecord }), flushIntervalMs: 20 });
  cleanups.push(() => records.close());
  return { logs, spool, records, perRecord };
}

const meta = (id: string): SpoolMeta => ({ id, sender: 's@kumo.test', recipients: [{ address: 'r@rec.test', status: 'pending' }], receivedAt: Date.now(), size: 4, reception: { protocol: 'ESMTP' }, attempts: 0, due: 0 });
const reception = (id: string, rcpt = 'r@rec.test'): LogRecord => ({ type: 'Reception', id, sender: 's@kumo.test', recipient: rcpt, response: { code: 250, enhanced_code: null, content: '' }, timestamp: 1 }) as unknown as LogRecord;

function fileLines(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

test('the Reception line is in the spool with its message, then in the file, then forgotten by the spool', async () => {
  const { logs, spool, records } = lab();
  const journal = new RecordJournal(spool, records, 'w1');
  const id = newSpoolId();
  const staged = journal.stage([reception(id), reception(id, 'r2@rec.test')]);
  const entry = journal.entry(id, staged);
  assert.equal(entry?.key, `w1:${id}`);
  assert.equal(entry?.lines.split('\n').length, 3, 'two lines, each ending in a newline');
  // nothing reaches the file before the spool write succeeded
  assert.equal(records.written, 0);
  await spool.put(meta(id), Buffer.from('body'), { journal: entry });
  assert.deepEqual(spool.journal('w1:').map((e) => e.key), [`w1:${id}`], 'stored with the message');
  assert.deepEqual(spool.journal('w2:'), [], 'under its writer tag only');
  await journal.commit(staged, entry);
  await waitUntil(() => spool.journal('').length === 0, 5_000, 'the entry forgotten once the file has the lines');
  assert.equal(fileLines(logs).filter((l) => l.includes(id)).length, 2);
});

test('records the files do not take are not journaled; a log hook that takes one is waited for', async () => {
  const { spool, records, perRecord } = lab();
  perRecord.set('Reception', false);
  const journal = new RecordJournal(spool, records, '');
  const id = newSpoolId();
  assert.equal(journal.entry(id, journal.stage([reception(id)])), undefined, 'files off, no tap: nothing to journal');
  let release!: () => void;
  const tapDurable = new Promise<void>((r) => (release = r));
  const took: string[] = [];
  const tap: RecordTap = { accept: (_r, json) => took.push(json), durable: () => tapDurable };
  records.addTap(tap);
  const staged = journal.stage([reception(id)]);
  assert.equal(journal.entry(id, staged), undefined, 'the tap takes it, the files do not');
  let done = false;
  const committed = journal.commit(staged, undefined).then(() => (done = true));
  assert.equal(took.length, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(done, false, 'the 250 waits for the hook');
  release();
  await committed;
  records.removeTap(tap);
});

test('after a crash only the lines no log file has are written (a plain and a compressed file read), and the journal is emptied', async () => {
  const { logs, spool, records } = lab();
  const [a, b, c] = [newSpoolId(), newSpoolId(), newSpoolId()];
  const line = (id: string) => JSON.stringify(reception(id));
  // the crashed run: a's line reached its (since compressed) file, b's its active file, c's none
  await records.flush();
  writeFileSync(join(logs, '20261207-000000.000-w1.jsonl.gz'), gzipSync(line(a) + '\n'));
  writeFileSync(join(logs, '20261207-000001.000-w1.jsonl'), `{"type":"Delivery","id":"x"}\n${line(b)}\n`);
  for (const [id, tag] of [[a, 'w1'], [b, 'w1'], [c, 'w2']] as const) await spool.put(meta(id), Buffer.from('body'), { journal: { key: `${tag}:${id}`, lines: line(id) + '\n' } });
  const w1 = await planJournal(spool, logs, 'w1:');
  assert.deepEqual({ keys: w1.keys.length, missing: w1.missingLines, present: w1.presentLines }, { keys: 2, missing: 0, present: 2 });
  const all = await planJournal(spool, logs, '');
  assert.deepEqual({ keys: all.keys.length, missing: all.missingLines, present: all.presentLines }, { keys: 3, missing: 1, present: 2 });
  await restoreJournal(all, records, spool);
  assert.deepEqual(spool.journal(''), []);
  const lines = readdirSync(logs).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(logs, f), 'utf8').split('\n'));
  assert.equal(lines.filter((l) => l === line(c)).length, 1, 'the missing line written once');
  assert.equal(lines.filter((l) => l === line(b)).length, 1, 'a line the file had is not written again');
});
