// socks5_proxy_username / socks5_proxy_password (RFC 1929): compiled into the source with the
// password as a key source; incomplete or impossible settings are errors at their key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { tempTree } from '../helpers/tmp.js';

const MAIN = `[server]\nsmtp = false\n[spool]\npath = "./spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;

async function compile(sources: string) {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', 'sources.toml': sources });
  try {
    return { dir: t.dir, res: await compileConfig({ root: t.dir }) };
  } finally {
    t.cleanup();
  }
}

test('username + password compile; a relative password file resolves against the config root', async () => {
  const { dir, res } = await compile(`
[source."a"]
socks5_proxy_server = "127.0.0.1:1080"
socks5_proxy_username = "kumo"
socks5_proxy_password = "secrets/socks.txt"
[source."b"]
socks5_proxy_server = "127.0.0.1:1080"
socks5_proxy_username = "kumo"
socks5_proxy_password = { key_data = "pw" }
[source."c"]
socks5_proxy_server = "127.0.0.1:1080"
`);
  assert.ok(res.ok, res.ok ? '' : res.issues.map((i) => i.message).join('\n'));
  const src = res.snapshot.egress.sources;
  assert.deepEqual(src.get('a')?.socks5?.auth, { username: 'kumo', password: { kind: 'file', path: join(dir, 'secrets/socks.txt'), describe: `file ${join(dir, 'secrets/socks.txt')}` } });
  assert.equal(src.get('b')?.socks5?.auth?.password.kind, 'inline');
  assert.equal(src.get('c')?.socks5?.auth, undefined);
  assert.deepEqual(res.warnings.filter((w) => /socks5/.test(w.message)), [], 'no "not acted on" warning any more');
});

test('a username without a password (and the reverse), credentials without a server, an over-long username: errors at the key', async () => {
  const { res } = await compile(`
[source."no-pass"]
socks5_proxy_server = "127.0.0.1:1080"
socks5_proxy_username = "kumo"
[source."no-user"]
socks5_proxy_server = "127.0.0.1:1080"
socks5_proxy_password = { key_data = "pw" }
[source."no-server"]
socks5_proxy_username = "kumo"
socks5_proxy_password = { key_data = "pw" }
[source."long"]
socks5_proxy_server = "127.0.0.1:1080"
socks5_proxy_username = "${'u'.repeat(256)}"
socks5_proxy_password = { key_data = "pw" }
`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  const got = res.issues.map((i) => `${i.line} ${i.code} ${i.message}`);
  assert.deepEqual(got, [
    '4 value.proxy source."no-pass": socks5_proxy_username needs socks5_proxy_password as well',
    '7 value.proxy source."no-user": socks5_proxy_password needs socks5_proxy_username as well',
    '9 value.proxy source."no-server": socks5_proxy_username needs socks5_proxy_server',
    '10 value.proxy source."no-server": socks5_proxy_password needs socks5_proxy_server',
    '13 value.proxy source."long".socks5_proxy_username must be 1 to 255 bytes (RFC 1929), not 256',
  ]);
});
