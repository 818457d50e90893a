// `kumo-ts tail` refusals as a real child process: the log directory taken from a bad config
// (every issue printed, exit 1), from a good one whose directory does not exist yet (exit 1
// without --follow), and a --since it cannot read (exit 2).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

const t = tempTree({}, 'kumo-tail-cli-');
after(() => t.cleanup());
const tail = (args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'tail', ...args], { cwd: t.dir, encoding: 'utf8', timeout: 60_000 });
const main = (logs: string, extra = '') => `[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n[spool]\npath = "${t.dir}/spool"\n[logs]\npath = "${logs}"\n${extra}`;

test('tail without a directory: a bad config prints its issues and exits 1', () => {
  t.write('bad/zone.toml', '');
  t.write('bad/kumo.toml', main(`${t.dir}/logs`, 'nonsense = 1\n'));
  const r = tail(['-c', join(t.dir, 'bad'), '--no-follow']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /kumo\.toml:\d+:\d+: .*nonsense/);
  assert.equal(r.stdout, '');
});

test("tail without a directory reads the config's [logs] path; a missing one is exit 1 without --follow", () => {
  t.write('good/zone.toml', '');
  const logs = join(t.dir, 'not-yet-logs');
  t.write('good/kumo.toml', main(logs));
  const r = tail(['-c', join(t.dir, 'good'), '--no-follow']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `kumo-ts tail: ${logs}: no such directory\n`);
});

test('an unreadable --since is exit 2 naming it', () => {
  const r = tail([t.dir, '--since', 'last tuesday', '--no-follow']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^kumo-ts tail: .*last tuesday/);
});
