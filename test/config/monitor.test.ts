import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';

const mainToml = (dir: string, hostname: string) => `hostname = "${hostname}"
[http]
enabled = false
[spool]
path = "${dir}/data/spool"
[logs]
path = "${dir}/data/logs"
[dns]
mode = "static"
zone_file = "zone.toml"
[server]
smtp = false
`;

test('serve applies edits live, keeps the old epoch on invalid config, recovers when fixed', async (t) => {
  const tree = tempTree();
  const cfg = join(tree.dir, 'config');
  tree.write('config/zone.toml', '');
  tree.write('config/kumo.toml', mainToml(tree.dir, 'one.example'));
  const srv = startKumo(['serve', '--config', cfg], { cwd: tree.dir });
  after(async () => {
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  const epochLine = (n: number) => (l: Record<string, unknown>) => l.msg === `config epoch ${n} live`;
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 15_000, 'ready');
  assert.ok(srv.lines.some(epochLine(1)));

  // how fast is a figure of bench/latency (and bench/config-compile); here: that it happens
  await t.test('an edit goes live', async () => {
    writeFileSync(join(cfg, 'kumo.toml'), mainToml(tree.dir, 'two.example'));
    await srv.waitFor(epochLine(2), 15_000, 'epoch 2');
  });

  await t.test('an invalid file is rejected with file:line:col and the epoch stays', async () => {
    writeFileSync(join(cfg, 'kumo.toml'), mainToml(tree.dir, 'three.example') + '[listener.bad]\nlisten = "127.0.0.1:2525"\nport = 25\n');
    const rejected = await srv.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('config change rejected'), 15_000, 'rejection');
    assert.match(String(rejected.msg), /epoch 2 keeps serving/);
    const err = await srv.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('config error: '), 15_000, 'error line');
    assert.match(String(err.msg), /kumo\.toml:15:1: unknown key "port" in listener\.bad/);
    // the rejection is the outcome of the check of that edit: it made no epoch
    assert.ok(!srv.lines.some(epochLine(3)), 'an invalid config must not produce a new epoch');
  });

  await t.test('fixing it brings the next epoch', async () => {
    writeFileSync(join(cfg, 'kumo.toml'), mainToml(tree.dir, 'four.example'));
    await srv.waitFor(epochLine(3), 15_000, 'epoch 3 after the fix');
  });

  await t.test('a new helper file in the root is picked up', async () => {
    writeFileSync(join(cfg, 'extra-notes.yaml'), 'note: not a config kind, but watched\n');
    await srv.waitFor(epochLine(4), 15_000, 'epoch 4 after adding a watched file');
  });

  await t.test('SIGHUP forces a re-evaluation', async () => {
    srv.child.kill('SIGHUP');
    await srv.waitFor(epochLine(5), 15_000, 'epoch 5 after SIGHUP');
  });

  await t.test('SIGTERM stops cleanly', async () => {
    const code = await srv.stop('SIGTERM');
    assert.equal(code, 0);
  });
});

test('serve refuses to start on an invalid config and says where', async () => {
  const tree = tempTree({ 'kumo.toml': '[spool]\npath = 7\n' });
  try {
    const srv = startKumo(['serve', '--config', tree.dir], { cwd: tree.dir });
    const code = await new Promise<number | null>((res) => srv.child.on('exit', res));
    assert.equal(code, 1);
    assert.ok(srv.lines.some((l) => /kumo\.toml:2:8: spool\.path: expected string/.test(JSON.stringify(l))), JSON.stringify(srv.lines));
  } finally {
    tree.cleanup();
  }
});
