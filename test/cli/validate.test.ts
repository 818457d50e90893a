import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

const bin = join(PACKAGE_ROOT, 'bin', 'kumo-ts');
const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

test('validate: exit 0 with a one-line summary on a good config', () => {
  const t = tempTree({ 'cfg/kumo.yaml': 'listener:\n  smtp:\n    listen: 127.0.0.1:2525\ndns:\n  mode: static\n  zone_file: zone.yaml\n', 'cfg/zone.yaml': '{}\n' });
  try {
    const r = run(['validate', '--config', join(t.dir, 'cfg')], t.dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok: \d+ files, hash [0-9a-f]{12}, 1 listeners, /);
    assert.equal(r.stdout.trim().split('\n').length, 1);
  } finally {
    t.cleanup();
  }
});

test('validate: exit 1 with every error as FILE:LINE:COL, one per line; KUMO_TS_CONFIG is honoured', () => {
  const t = tempTree({
    'cfg/kumo.json': '{\n  "listener": {\n    "smtp": { "listen": "127.0.0.1:2525", "tls_cert": "x" }\n  },\n  "logs": { "compress": "yes" }\n}\n',
  });
  try {
    const r = run(['validate'], t.dir, { KUMO_TS_CONFIG: join(t.dir, 'cfg') });
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines, [
      'cfg/kumo.json:3:43: unknown key "tls_cert" in listener.smtp',
      'cfg/kumo.json:5:25: logs.compress: expected boolean, got string',
      `2 errors in ${join(t.dir, 'cfg')}`,
    ]);
  } finally {
    t.cleanup();
  }
});

test('validate: a named table that is not a table is one schema error, not a crash of the compile after it', () => {
  const t = tempTree({
    'cfg/kumo.yaml': 'listener:\n  smtp:\n    listen: 127.0.0.1:2525\n  bogus: 1\nlog_hook:\n  h: [1]\nhttp:\n  listener:\n    x: 2\ndns:\n  mode: static\n  zone_file: zone.yaml\n',
    'cfg/zone.yaml': '{}\n',
  });
  try {
    const r = run(['validate', '--config', join(t.dir, 'cfg')], t.dir);
    assert.equal(r.status, 1);
    // was also: "listener.bogus.listen: Cannot read properties of undefined (reading 'lastIndexOf')"
    assert.deepEqual(r.stderr.trim().split('\n').sort(), [
      'cfg/kumo.yaml:4:10: listener.bogus: expected object, got integer',
      'cfg/kumo.yaml:6:6: log_hook.h: expected object, got array',
      'cfg/kumo.yaml:9:8: http.listener.x: expected object, got integer',
      `3 errors in ${join(t.dir, 'cfg')}`,
    ].sort());
  } finally {
    t.cleanup();
  }
});

test('validate: the shipped example config is valid', () => {
  const r = run(['validate', '--config', join(PACKAGE_ROOT, 'config')], PACKAGE_ROOT);
  assert.equal(r.status, 0, r.stderr);
});
