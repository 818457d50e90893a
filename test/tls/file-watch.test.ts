// Watching certificate files that do not exist yet, in a directory that does not exist yet: the
// poll notices them when they appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileWatch } from '../../src/tls/file-watch.js';
import { tempDir } from '../smtp/helpers.js';
import { waitUntil } from '../queue/lab.js';

test('a file in a missing directory: one change when it appears, none before', async () => {
  const root = tempDir('kumo-watch-');
  const dir = join(root, 'later');
  let changes = 0;
  const w = new FileWatch([join(dir, 'c.pem')], () => changes++, { pollMs: 50 });
  try {
    w.check();
    assert.equal(changes, 0, 'still missing: no change');
    mkdirSync(dir);
    writeFileSync(join(dir, 'c.pem'), 'pem');
    await waitUntil(() => changes > 0, 10_000, 'the poll saw the file'); // the watch's own timers are unref'd
    assert.equal(changes, 1);
  } finally {
    w.close();
    rmSync(root, { recursive: true, force: true });
  }
});
