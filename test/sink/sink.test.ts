import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { startSink, sinkVerdict } from '../../src/sink/sink.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Sends one message with a plain client; resolves with the result or the error. */
function send(port: number, to: string[], body = 'Subject: hi\r\n\r\nhello\r\n'): Promise<{ info?: { accepted: string[]; rejected: string[]; rejectedErrors?: { responseCode?: number; response?: string }[] }; err?: Error & { responseCode?: number; code?: string } }> {
  return new Promise((resolve) => {
    const c = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, logger: false });
    c.on('error', () => undefined);
    c.connect((err) => {
      if (err) return resolve({ err: err as never });
      c.send({ from: 'a@b.test', to }, body, (err, info) => {
        c.quit();
        resolve(err ? { err: err as never } : { info: info as never });
      });
    });
  });
}

test('local parts choose the reply', () => {
  assert.deepEqual(sinkVerdict('someone@x.test'), { kind: 'accept' });
  assert.equal((sinkVerdict('tempfail@x.test') as { code: number }).code, 451);
  assert.equal((sinkVerdict('tempfail+7@x.test') as { code: number }).code, 451);
  assert.equal((sinkVerdict('permfail@x.test') as { code: number }).code, 550);
  assert.deepEqual(sinkVerdict('452-mailbox-busy@x.test'), { kind: 'reject', code: 452, text: 'mailbox busy' });
  assert.deepEqual(sinkVerdict('disconnect@x.test'), { kind: 'disconnect' });
});

test('the sink accepts, rejects by local part, drops on disconnect, counts, and writes a maildir', async () => {
  const t = tempTree();
  cleanups.push(t.cleanup);
  const seen: string[][] = [];
  const sink = await startSink({ maildir: join(t.dir, 'md'), onMessage: (m) => seen.push(m.to) });
  cleanups.push(() => sink.close());
  const ok = await send(sink.port, ['a@x.test', 'tempfail@x.test', 'permfail@x.test', '452-busy-now@x.test']);
  assert.deepEqual(ok.info?.accepted, ['a@x.test']);
  assert.deepEqual(ok.info?.rejectedErrors?.map((e) => e.responseCode), [451, 550, 452]);
  assert.match(ok.info?.rejectedErrors?.[2].response ?? '', /^452 .*busy now/);
  const all = await send(sink.port, ['permfail@x.test']);
  assert.equal(all.err?.responseCode, 550);
  const dropped = await send(sink.port, ['disconnect@x.test']);
  assert.ok(dropped.err, 'the connection was dropped');
  assert.deepEqual(seen, [['a@x.test']]);
  assert.equal(sink.stats.messages, 1);
  assert.equal(sink.stats.recipients, 1);
  assert.deepEqual(sink.stats.rejected, { 451: 1, 550: 2, 452: 1 });
  assert.equal(sink.stats.disconnects, 1);
  const files = readdirSync(join(t.dir, 'md', 'new'));
  assert.equal(files.length, 1);
  assert.deepEqual(readdirSync(join(t.dir, 'md', 'tmp')), []);
  assert.match(readFileSync(join(t.dir, 'md', 'new', files[0]), 'utf8'), /hello/);
});

test('`kumo-ts sink` prints its address and its counts when stopped', async () => {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'sink', '--listen', '127.0.0.1:0', '--json', '--stats-interval', '100ms'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  const waitFor = (pred: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(lines)}`)), 10_000);
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(t);
          child.stdout!.off('data', check);
          resolve(hit);
        }
      };
      child.stdout!.on('data', check);
      check();
    });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.unshift(JSON.parse(buf.slice(0, i)));
  });
  const listening = await waitFor((l) => l.event === 'listening');
  const port = listening.port as number;
  await send(port, ['one@x.test', 'tempfail@x.test']);
  await send(port, ['two@x.test']);
  await waitFor((l) => l.event === 'stats' && l.messages === 2);
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  const stopped = await waitFor((l) => l.event === 'stopped');
  assert.equal(stopped.messages, 2);
  assert.equal(stopped.recipients, 2);
  assert.deepEqual(stopped.rejected, { 451: 1 });
  assert.equal(await exited, 0);
});
