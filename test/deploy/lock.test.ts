import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { acquireDirLock, DirLockError, LOCK_FILE } from '../../src/spool/lock.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { SmtpClient, message } from '../smtp/helpers.js';
import { exitWithin, isReady, readRecords, serveRoot } from './helpers.js';
import { waitUntil } from '../queue/lab.js';

const LOCK_MODULE = pathToFileURL(join(import.meta.dirname, '../../src/spool/lock.js')).href;

describe('directory lock (flock)', () => {
  const t = tempTree({}, 'kumo-lock-');
  after(() => t.cleanup());

  test('a second lock on the same directory is refused, naming the holder; release frees it', async () => {
    const dir = join(t.dir, 'spool');
    const first = await acquireDirLock(dir, 'spool');
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'created private');
    assert.equal(statSync(join(dir, LOCK_FILE)).mode & 0o777, 0o600);
    await assert.rejects(acquireDirLock(dir, 'spool'), (e: DirLockError) => {
      assert.equal(e.code, 'LOCK_HELD');
      assert.equal(e.holder?.pid, process.pid);
      assert.equal(e.holder?.host, hostname());
      assert.match(e.message, new RegExp(`^spool ${dir} is locked by pid ${process.pid} \\(started \\d{4}-\\d\\d-\\d\\dT`));
      return true;
    });
    first.release();
    (await acquireDirLock(dir, 'spool')).release();
  });

  test('the lock of a process killed with SIGKILL is free at once (no stale lock)', async () => {
    const dir = join(t.dir, 'killed');
    const child = spawn(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(LOCK_MODULE)}); await m.acquireDirLock(${JSON.stringify(dir)}, 'spool'); console.log('locked'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.once('exit', (c) => reject(new Error(`lock child exited ${c}`)));
      });
      await assert.rejects(acquireDirLock(dir, 'spool'), (e: DirLockError) => e.code === 'LOCK_HELD' && e.holder?.pid === child.pid);
      child.kill('SIGKILL');
      await exitWithin(child, 10_000);
      (await acquireDirLock(dir, 'spool')).release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('an existing world-readable directory loses its world permissions', async () => {
    const dir = join(t.dir, 'open');
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    (await acquireDirLock(dir, 'log directory')).release();
    assert.equal(statSync(dir).mode & 0o777, 0o750);
  });
});

describe('one serve per spool', () => {
  const children: ServerProcess[] = [];
  let root: Awaited<ReturnType<typeof serveRoot>>;
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
    root?.cleanup();
  });

  const send = async (port: number, ids: string[]) => {
    const c = await SmtpClient.connect(port);
    await c.hello();
    for (const id of ids) {
      const r = await c.send('sender@deploy.test', ['rcpt@example.net'], message({ messageId: id }));
      assert.equal(r.final?.code, 250, `${id}: ${r.final?.text}`);
    }
    await c.quit();
  };
  const receptions = () => readRecords(join(root.dir, 'data/logs')).filter((r) => r.type === 'Reception');

  test('a second serve on the same config exits non-zero naming the lock holder; the first keeps all its records', async (t) => {
    root = await serveRoot();
    const first = startKumo(['serve', '-c', 'config'], { cwd: root.dir });
    children.push(first);
    await first.waitFor(isReady, 60_000, 'the first serve ready');
    await send(root.smtpPort, ['lock-1@test', 'lock-2@test', 'lock-3@test', 'lock-4@test', 'lock-5@test']);
    // on disk with the message at the 250 (the spool's journal), in the file within its flush interval
    await waitUntil(() => receptions().length === 5, 5_000, 'the 5 Reception records in the file');
    const activeBefore = readdirSync(join(root.dir, 'data/logs')).filter((f) => f.endsWith('.jsonl'));
    // one active file per writer: the serve process, and each reception worker when there are (-wN)
    const writers = new Set(activeBefore.map((f) => /-w\d+\.jsonl$/.exec(f)?.[0] ?? 'serve'));
    assert.ok(activeBefore.length >= 1 && writers.size === activeBefore.length, `one active records file per writer: ${activeBefore.join(',')}`);

    const t0 = Date.now();
    const second = startKumo(['serve', '-c', 'config'], { cwd: root.dir });
    children.push(second);
    const code = await exitWithin(second.child, 60_000);
    const ms = Date.now() - t0;
    assert.notEqual(code, undefined, `the second serve is still running after 60 s:\n${second.lines.map((l) => JSON.stringify(l)).join('\n')}`);
    assert.ok(code !== 0 && code !== null, `exit code ${code}`);
    const text = second.lines.map((l) => String(l.msg)).join('\n');
    const spool = join(root.dir, 'data/spool');
    assert.match(text, new RegExp(`kumo-ts: cannot start: spool ${spool} is locked by pid ${first.child.pid} \\(started `), text);
    assert.ok(!second.lines.some(isReady), 'the second never says ready');
    assert.ok(!second.lines.some((l) => l.msg === 'smtp listener ready' || l.msg === 'spool open'), 'nor opened the spool or a listener');
    // startup time (node + config compile) dominates; on an idle machine this is ~1-2 s
    t.diagnostic(`second serve exited ${code} after ${ms} ms`);
    assert.ok(ms < 30_000, `took ${ms} ms`);

    // the first's records file was not compressed or removed by the second, and it goes on
    for (const f of activeBefore) assert.ok(existsSync(join(root.dir, 'data/logs', f)), `${f} still there`);
    assert.equal(receptions().length, 5);
    await send(root.smtpPort, ['lock-6@test', 'lock-7@test']);
    assert.equal(await first.stop(), 0);
    const ids = receptions().map((r) => r.id);
    assert.equal(ids.length, 7, `all 7 Reception records kept: ${ids.join(',')}`);
    assert.equal(new Set(ids).size, 7);
  });
});
