// The CLI's credentials and TLS against a real `kumo-ts serve` whose HTTPS listener trusts no
// loopback peer: 401 without credentials (exit 1), served with --user/--password, --token or
// $KUMO_TS_API_TOKEN, the https endpoint taken from the config, --ca required to verify it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { hashPassword } from '../../src/auth/password-hash.js';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';
import { BIN, jsonOf, runCli } from './cli-lab.js';
import type { QueueSummaryV1 } from '../../src/cli/api-types.js';

test('API commands over HTTPS with Basic and Bearer credentials', async (t) => {
  const tree = tempTree();
  const port = await freePort();
  // a certificate for the address the CLI connects to (IP SAN 127.0.0.1), its own CA
  const cert = await generate([{ name: 'commonName', value: 'kumo-ts test api' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] }],
  });
  const tok = spawnSync(process.execPath, [BIN, 'hash-password', '--token', 'ops'], { encoding: 'utf8' });
  assert.equal(tok.status, 0, tok.stderr);
  const token = /token[^:]*: (\S+)/.exec(tok.stderr)?.[1];
  assert.ok(token, tok.stderr);
  tree.write('cfg/api.crt', cert.cert);
  tree.write('cfg/api.key', cert.private);
  tree.write('cfg/users', `ops:${await hashPassword('s3cret-pw', { cost: 10 })}\n`);
  tree.write('cfg/tokens', `${tok.stdout.trim()}\n`);
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n`
    // no loopback peer is trusted: every request needs credentials
    + `trusted_hosts = ["192.0.2.1/32"]\nauth = { credentials = "users", tokens = "tokens" }\n`
    + `tls = { certificate = "api.crt", private_key = "api.key" }\n`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  t.after(async () => {
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 30_000, 'ready');
  const ca = join(tree.dir, 'cfg/api.crt');
  const cfg = ['-c', join(tree.dir, 'cfg')];
  const noToken = { KUMO_TS_API_TOKEN: '' };

  const [anon, basic, wrong, bearer, fromEnv, noCa] = await Promise.all([
    runCli(['queue-summary', ...cfg, '--ca', ca], { env: noToken }),
    runCli(['queue-summary', ...cfg, '--ca', ca, '--user', 'ops', '--password', 's3cret-pw', '--json'], { env: noToken }),
    runCli(['queue-summary', ...cfg, '--ca', ca, '--user', 'ops', '--password', 'nope'], { env: noToken }),
    runCli(['suspend-list', '--endpoint', `https://127.0.0.1:${port}`, '--ca', ca, '--token', token, '--json'], { env: noToken }),
    runCli(['bounce-list', ...cfg, '--ca', ca, '--json'], { env: { KUMO_TS_API_TOKEN: token } }),
    runCli(['queue-summary', ...cfg, '--token', token], { env: noToken }),
  ]);
  assert.equal(anon.code, 1, anon.stderr);
  assert.match(anon.stderr, new RegExp(`^kumo-ts: GET https://127\\.0\\.0\\.1:${port}/api/admin/queue-summary/v1: 401 Unauthorized: `));
  assert.equal(basic.code, 0, basic.stderr);
  assert.equal(jsonOf<QueueSummaryV1>(basic).totals.scheduled, 0);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /401 Unauthorized/);
  assert.deepEqual(jsonOf(bearer), { scheduled: [], ready: [] });
  assert.deepEqual(jsonOf(fromEnv), []);
  // the server's certificate is not trusted without --ca: a connection failure
  assert.equal(noCa.code, 3, noCa.stderr);
  assert.match(noCa.stderr, /cannot reach the server: .*(self[- ]signed|certificate)/i);

  // reload takes the same options: it could not reach an API that wants credentials or TLS
  const [reloadAnon, reloadBasic] = [
    await runCli(['reload', ...cfg, '--ca', ca], { env: noToken }),
    await runCli(['reload', ...cfg, '--ca', ca, '--user', 'ops', '--password', 's3cret-pw'], { env: noToken }),
  ];
  assert.equal(reloadAnon.code, 1, reloadAnon.stderr);
  assert.match(reloadAnon.stderr, /bump-config-epoch: 401 Unauthorized/);
  assert.equal(reloadBasic.code, 0, reloadBasic.stderr);
  assert.match(reloadBasic.stdout, /^epoch \d+ live\n$/);
});
