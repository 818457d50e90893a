// The monitor's watch set (src/config/watch-set.ts) on real files: the default glob under the
// root, configured globs that reach outside it, the skipped directories, and a hash that tells
// a missing file from a directory from a changed file.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashFiles, listWatched } from '../../src/config/watch-set.js';
import { tempTree } from '../helpers/tmp.js';

test('listWatched: config files under the root, globs outside it, skipped dirs; a missing root is empty', () => {
  const t = tempTree({
    'cfg/kumo.toml': '',
    'cfg/sub/queues.yaml': '',
    'cfg/notes.txt': '',
    'cfg/data/spool.json': '',
    'cfg/node_modules/x.json': '',
    'cfg/.hidden/y.toml': '',
    'cfg/extra.lua': '',
    'shared/shaping/a.toml': '',
    'shared/shaping/b.txt': '',
    'elsewhere/cert.pem': '',
  });
  try {
    const root = join(t.dir, 'cfg');
    const got = listWatched(root, ['*.lua', '../shared/shaping/*.toml'], [join(t.dir, 'elsewhere/cert.pem')]);
    assert.deepEqual(got, [
      join(root, 'extra.lua'),
      join(root, 'kumo.toml'),
      join(root, 'sub/queues.yaml'),
      join(t.dir, 'elsewhere/cert.pem'),
      join(t.dir, 'shared/shaping/a.toml'),
    ].sort());
    // an absolute glob is walked from its base too
    assert.deepEqual(listWatched(root, [join(t.dir, 'shared/**/*.txt')], []).filter((f) => f.endsWith('.txt')), [join(t.dir, 'shared/shaping/b.txt')]);
    assert.deepEqual(listWatched(join(t.dir, 'no-such-root'), [], []), []);
  } finally {
    t.cleanup();
  }
});

test('hashFiles: changes when a file changes, disappears or becomes a directory', () => {
  const t = tempTree({ 'a.toml': 'x = 1\n' });
  try {
    const f = join(t.dir, 'a.toml');
    const h1 = hashFiles([f]);
    assert.equal(hashFiles([f]), h1, 'stable');
    writeFileSync(f, 'x = 2\n');
    const h2 = hashFiles([f]);
    assert.notEqual(h2, h1);
    rmSync(f);
    const missing = hashFiles([f]);
    assert.notEqual(missing, h2);
    mkdirSync(f);
    const dir = hashFiles([f]);
    assert.notEqual(dir, missing, 'a directory in place of the file is not the same as missing');
    assert.notEqual(dir, h2);
  } finally {
    t.cleanup();
  }
});
