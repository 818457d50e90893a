// A live config change of spool.path / logs.path in a real `serve`: the spool stays where it is
// (warned); the log directory follows, and a new one that cannot be locked is reported, not fatal.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LOCK_FILE } from '../../src/spool/lock.js';
import { startKumo } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';

const mainToml = (spool: string, logs: string) => `hostname = "paths.example"
[http]
enabled = false
[spool]
path = "${spool}"
[logs]
path = "${logs}"
[dns]
mode = "static"
zone_file = "zone.toml"
[server]
smtp = false
`;

test('reloads that move spool.path and logs.path', { timeout: 120_000 }, async (t) => {
  const tree = tempTree({}, 'kumo-path-change-');
  const cfg = join(tree.dir, 'config');
  tree.write('config/zone.toml', '');
  const spool = join(tree.dir, 'data/spool');
  tree.write('config/kumo.toml', mainToml(spool, join(tree.dir, 'data/logs')));
  const srv = startKumo(['serve', '--config', cfg], { cwd: tree.dir });
  after(async () => {
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  const epoch = (n: number) => (l: Record<string, unknown>) => l.msg === `config epoch ${n} live`;
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');

  await t.test('a new logs.path under a regular file: the error names it, the server keeps running', async () => {
    const file = tree.write('data/plain-file', 'x');
    const bad = join(file, 'logs');
    writeFileSync(join(cfg, 'kumo.toml'), mainToml(spool, bad));
    const err = await srv.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('logs.path changed: '), 60_000, 'logs.path error');
    assert.equal(err.level, 'error');
    assert.equal(err.code, 'LOCK_FAILED');
    assert.match(String(err.msg), new RegExp(`^logs\\.path changed: cannot prepare log directory ${bad}: ENOTDIR`));
    await srv.waitFor(epoch(2), 60_000, 'epoch 2');
    assert.equal(srv.child.exitCode, null, 'still running');
  });

  await t.test('a usable new logs.path is locked by the server; a new spool.path is warned about', async () => {
    const logs2 = join(tree.dir, 'data/logs2');
    writeFileSync(join(cfg, 'kumo.toml'), mainToml(join(tree.dir, 'data/spool2'), logs2));
    const warn = await srv.waitFor((l) => l.msg === 'spool.path changed: the spool stays where it is until the next start', 60_000, 'spool.path warning');
    assert.equal(warn.current, spool);
    assert.equal(warn.configured, join(tree.dir, 'data/spool2'));
    await srv.waitFor(epoch(3), 60_000, 'epoch 3');
    const t0 = Date.now();
    while (!existsSync(join(logs2, LOCK_FILE)) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    assert.match(readFileSync(join(logs2, LOCK_FILE), 'utf8'), new RegExp(`\\b${srv.child.pid}\\b`), 'the lock names the server');
  });
});
