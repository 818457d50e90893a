import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../src/fs/durable-write.js';
import { tempTree } from '../helpers/tmp.js';

const tree = tempTree();
after(tree.cleanup);

test('writeFileDurable replaces a file (0600 by default), leaving no temp file', async () => {
  const p = join(tree.dir, 'a', 'cert.pem');
  await writeFileDurable(p, 'one');
  await writeFileDurable(p, 'two');
  assert.equal(readFileSync(p, 'utf8'), 'two');
  assert.equal(statSync(p).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(tree.dir, 'a')), ['cert.pem']);
});

test('a rename that fails (a directory where the file goes) rejects and removes its temp file', async () => {
  const p = join(tree.dir, 'b', 'taken');
  mkdirSync(join(p, 'inside'), { recursive: true });
  await assert.rejects(writeFileDurable(p, 'data'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' || e.code === 'ENOTEMPTY' || e.code === 'EEXIST');
  assert.deepEqual(readdirSync(join(tree.dir, 'b')), ['taken'], 'no temp file left beside it');
  assert.ok(statSync(p).isDirectory(), 'the directory is untouched');
});
