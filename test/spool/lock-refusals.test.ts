// The refusals of the directory lock an operator sees at startup: a spool path that cannot be
// made, a lock file that cannot be opened, and a holder that is on another host or has not
// recorded itself yet. The holders are real child processes taking flock(2) through fs-ext.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { acquireDirLock, DirLockError, LOCK_FILE } from '../../src/spool/lock.js';
import { tempTree } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '../../..');

/** A child that flocks `<dir>/kumo-ts.lock` and writes `record` into it (nothing when undefined). */
async function holder(dir: string, record: string | undefined): Promise<ChildProcess> {
  const script = `const fs = require('node:fs'); const { flockSync } = require('fs-ext');
    const fd = fs.openSync(${JSON.stringify(join(dir, LOCK_FILE))}, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    flockSync(fd, 'exnb');
    ${record === undefined ? '' : `fs.ftruncateSync(fd, 0); fs.writeSync(fd, ${JSON.stringify(record)}, 0);`}
    console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
  });
  return child;
}

describe('directory lock refusals', () => {
  const t = tempTree({}, 'kumo-lock-refusals-');
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    t.cleanup();
  });

  test('a spool path under a regular file: LOCK_FAILED naming what and where', async () => {
    const file = t.write('plain-file', 'x');
    const dir = join(file, 'spool');
    await assert.rejects(acquireDirLock(dir, 'spool'), (e: DirLockError) => {
      assert.equal(e.code, 'LOCK_FAILED');
      assert.equal(e.path, dir);
      assert.match(e.message, new RegExp(`^cannot prepare spool ${dir}: ENOTDIR`));
      return true;
    });
  });

  test('a lock file that is a directory: LOCK_FAILED naming the lock file', async () => {
    const dir = join(t.dir, 'lock-is-dir');
    mkdirSync(join(dir, LOCK_FILE), { recursive: true });
    await assert.rejects(acquireDirLock(dir, 'spool'), (e: DirLockError) => {
      assert.equal(e.code, 'LOCK_FAILED');
      assert.match(e.message, new RegExp(`^cannot open the lock file ${join(dir, LOCK_FILE)}: EISDIR`));
      return true;
    });
  });

  test('a holder on another host is named with its host', async () => {
    const dir = join(t.dir, 'other-host');
    mkdirSync(dir, { mode: 0o700 });
    const started = '2026-01-02T03:04:05.000Z';
    children.push(await holder(dir, JSON.stringify({ pid: 4242, host: 'mx-elsewhere.test', started }) + '\n'));
    await assert.rejects(acquireDirLock(dir, 'spool'), (e: DirLockError) => {
      assert.equal(e.code, 'LOCK_HELD');
      assert.deepEqual(e.holder, { pid: 4242, host: 'mx-elsewhere.test', started });
      assert.equal(e.message, `spool ${dir} is locked by pid 4242 on host mx-elsewhere.test (started ${started}); only one kumo-ts process may use it`);
      return true;
    });
  });

  test('a holder that has not recorded itself (or wrote something else) is still refused, said so', async () => {
    for (const [name, record] of [['silent', undefined], ['foreign', 'not json\n'], ['partial', '{"pid":1}\n']] as const) {
      const dir = join(t.dir, name);
      mkdirSync(dir, { mode: 0o700 });
      children.push(await holder(dir, record));
      await assert.rejects(acquireDirLock(dir, 'log directory'), (e: DirLockError) => {
        assert.equal(e.code, 'LOCK_HELD', name);
        assert.equal(e.holder, undefined, name);
        assert.equal(e.message, `log directory ${dir} is locked by another process (it has not recorded itself in ${join(dir, LOCK_FILE)}); ` +
          'only one kumo-ts process may use it', name);
        return true;
      });
    }
  });

  test('release twice is harmless and the lock can be taken again', async () => {
    const dir = join(t.dir, 'twice');
    const l = await acquireDirLock(dir, 'spool');
    l.release();
    l.release();
    const again = await acquireDirLock(dir, 'spool');
    again.release();
  });
});
