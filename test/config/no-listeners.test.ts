// Issue 9 item 5: an empty or gutted main file must not go live as a node without SMTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import { SmtpClient } from '../smtp/helpers.js';

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));
const tree = (files: Record<string, string>) => {
  const t = tempTree(files);
  trees.push(t);
  return t;
};

test('an empty kumo.toml is an error naming kumo.toml:1:1 (config.no-listeners)', async () => {
  const t = tree({ 'kumo.toml': '' });
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.equal(res.issues.length, 1, JSON.stringify(res.issues));
  const [i] = res.issues;
  assert.equal(i.code, 'config.no-listeners');
  assert.match(`${i.file}:${i.line}:${i.col}`, /kumo\.toml:1:1$/);
  assert.match(i.message, /no SMTP listener.*\[server\] smtp = false/);
});

test('a gutted file (HTTP and spool only) is refused the same way; [server] smtp = true points at that key', async () => {
  const t = tree({ 'kumo.toml': '[http]\nlisten = "127.0.0.1:9999"\n[server]\nsmtp = true\n' });
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.deepEqual(res.issues.map((i) => `${i.line}:${i.col}:${i.code}`), ['4:8:config.no-listeners']);
});

test('[server] smtp = false says so explicitly: no listener is fine', async () => {
  const t = tree({ 'kumo.toml': '[server]\nsmtp = false\n' });
  const res = await compileConfig({ root: t.dir });
  assert.ok(res.ok, res.ok ? '' : JSON.stringify(res.issues));
  assert.equal(res.snapshot.main.listeners.size, 0);
  assert.equal(res.snapshot.main.server.smtp, false);
});

test('kumo-ts validate reports it as FILE:LINE:COL and exits 1', () => {
  const t = tree({ 'cfg/kumo.toml': '# everything commented out\n' });
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'validate', '--config', join(t.dir, 'cfg')], { cwd: t.dir, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^cfg\/kumo\.toml:1:1: no SMTP listener/m);
});

test('serve: replacing kumo.toml with an empty file is rejected; the listener keeps answering 220', { timeout: 60_000 }, async () => {
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const t = tree({});
  const main = `hostname = "kept.test"
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
[http]
listen = "127.0.0.1:${httpPort}"
[spool]
path = "${t.dir}/data/spool"
[logs]
path = "${t.dir}/data/logs"
[dns]
mode = "static"
zone_file = "zone.toml"
`;
  t.write('cfg/zone.toml', '');
  t.write('cfg/kumo.toml', main);
  const srv = startKumo(['serve', '--config', join(t.dir, 'cfg')], { cwd: t.dir });
  after(() => srv.stop('SIGKILL'));
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  const status = async () =>
    (await (await fetch(`http://127.0.0.1:${httpPort}/api/config/status`)).json()) as { epoch: number; rejected: { errors: string[] } | null };
  assert.equal((await status()).epoch, 1);

  writeFileSync(join(t.dir, 'cfg/kumo.toml'), '');
  await srv.waitFor((l) => String(l.msg).startsWith('config change rejected'), 10_000, 'the rejection');
  const st = await status();
  assert.equal(st.epoch, 1, 'the old snapshot stays');
  assert.ok(st.rejected, 'the rejection is visible');
  assert.match(st.rejected.errors.join('\n'), /kumo\.toml:1:1: no SMTP listener/);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^kumo_ts_config_rejected 1$/m);

  const c = await SmtpClient.connect(smtpPort);
  const g = await c.reply();
  assert.equal(g.code, 220);
  assert.match(g.text, /^kept\.test /);
  await c.quit();
  assert.ok(!srv.lines.some((l) => /listener smtp removed|http listening on 127\.0\.0\.1:8000/.test(String(l.msg))), 'neither SMTP nor HTTP moved');
});
