import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths.js';

test('HTTP API: liveness, config status with a visible rejection, forced epoch bump, metrics, trusted hosts', async (t) => {
  const tree = tempTree();
  const port = await freePort();
  const main = (extra = '') => `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n${extra}[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', main());
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  after(async () => {
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  const base = `http://127.0.0.1:${port}`;

  await t.test('liveness and status', async () => {
    assert.deepEqual(await (await fetch(`${base}/api/check-liveness/v1`)).json(), { ok: true });
    const st = (await (await fetch(`${base}/api/config/status`)).json()) as { epoch: number; rejected: unknown };
    assert.equal(st.epoch, 1);
    assert.equal(st.rejected, null);
  });

  await t.test('a rejected change is visible in the API and metrics while the old epoch serves', async () => {
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main() + '[spool.extra]\n');
    await srv.waitFor((l) => String(l.msg).startsWith('config change rejected'), 15_000, 'rejection');
    const st = (await (await fetch(`${base}/api/config/status`)).json()) as { epoch: number; rejected: { errors: string[] } };
    assert.equal(st.epoch, 1);
    assert.match(st.rejected.errors[0], /kumo\.toml:\d+:\d+: unknown key "extra" in spool/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^kumo_ts_config_epoch 1$/m);
    assert.match(metrics, /^kumo_ts_config_rejected 1$/m);
    assert.match(metrics, /^kumo_ts_config_rejections_total 1$/m);
  });

  await t.test('bump-config-epoch re-evaluates', async () => {
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main());
    await srv.waitFor((l) => l.msg === 'config epoch 2 live', 15_000, 'epoch 2');
    const r = (await (await fetch(`${base}/api/admin/bump-config-epoch`, { method: 'POST' })).json()) as { epoch: number };
    assert.equal(r.epoch, 3);
  });

  await t.test('kumo-ts reload asks the running server for a new epoch', async () => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'reload', '--config', join(tree.dir, 'cfg')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'epoch 4 live');
  });

  await t.test('clients outside trusted_hosts get 401 (liveness stays open)', async () => {
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main('trusted_hosts = ["10.0.0.0/8"]\n'));
    await srv.waitFor((l) => l.msg === 'config epoch 5 live', 15_000, 'epoch 5');
    const r = await fetch(`${base}/api/config/status`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /Basic realm="kumo-ts"/);
    assert.equal((await fetch(`${base}/api/check-liveness/v1`)).status, 200);
  });
});
