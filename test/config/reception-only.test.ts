// The reception workers' compile (compileConfig receptionOnly, src/config/compile.ts): the same
// epoch hash as the owner's full compile, without reading or compiling the shaping files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

const t = tempTree({
  'kumo.toml': '[listener.smtp]\nlisten = "127.0.0.1:2525"\nbanner = "reception only"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n',
  'zone.toml': '["rollup.test"]\nmx = ["10 mx.rollup.test"]\n',
  'shaping.toml': '["own.test"]\nmx_rollup = false\nconnection_limit = 2\n["rollup.test"]\nconnection_limit = 3\n',
  'queues.toml': '[queue.\'own.test\']\nretry_interval = "1m"\n',
});
after(() => t.cleanup());

test('a reception-only compile hashes the shaping files like the full one but leaves shaping out', async () => {
  const full = await compileConfig({ root: t.dir });
  const rx = await compileConfig({ root: t.dir, receptionOnly: true });
  if (!full.ok || !rx.ok) throw new Error([...(full.ok ? [] : full.issues), ...(rx.ok ? [] : rx.issues)].map(formatIssue).join('\n'));
  assert.equal(rx.snapshot.hash, full.snapshot.hash, 'the epoch hash a worker reports is the owner\'s');
  assert.deepEqual(rx.files, full.files, 'the shaping files are still among the files');
  assert.ok(full.snapshot.shaping.byDomain.has('own.test'));
  assert.equal(rx.snapshot.shaping.byDomain.size, 0, 'no shaping compiled');
  // what reception reads is all there
  assert.equal(rx.snapshot.main.listeners.get('smtp')?.banner, full.snapshot.main.listeners.get('smtp')?.banner);
  assert.deepEqual(rx.snapshot.queues, full.snapshot.queues);
});

test('a shaping file the owner would refuse is not read by a reception-only compile (the owner never announces it)', async () => {
  const bad = tempTree({ 'kumo.toml': '[listener.smtp]\nlisten = "127.0.0.1:2525"\n', 'shaping.toml': '["x.test"\nconnection_limit = 2\n' });
  after(() => bad.cleanup());
  assert.equal((await compileConfig({ root: bad.dir })).ok, false);
  assert.equal((await compileConfig({ root: bad.dir, receptionOnly: true })).ok, true);
});
