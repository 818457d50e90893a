// Issue 14 item 1: `kumo-ts hash-password` as a user runs it (a child process, the password on
// stdin): the line it prints logs a user in through a listener's AUTH credentials file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashKind, verifyPassword } from '../../src/auth/password-hash.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BASE_MAIN, Harness, SmtpClient, makeCert } from '../smtp/helpers.js';

function hashPasswordCli(args: string[], stdin: string) {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'hash-password', ...args], { input: stdin, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('scrypt by default: prints "user:hash"; the hash verifies the password and only it', async () => {
  const r = hashPasswordCli(['alice'], 'correct horse\n');
  assert.equal(r.code, 0, r.stderr);
  const m = /^alice:(\S+)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(hashKind(m[1]), 'scrypt');
  assert.ok(await verifyPassword('correct horse', m[1]), 'the trailing newline of stdin is not part of the password');
  assert.ok(!(await verifyPassword('correct horse\n', m[1])));
  assert.ok(!(await verifyPassword('wrong', m[1])));
});

test('--bcrypt --cost: a bcrypt hash with that cost; without a user only the hash', async () => {
  const r = hashPasswordCli(['--bcrypt', '--cost', '5'], 's3cret');
  assert.equal(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^\$2[aby]\$05\$/);
  assert.ok(await verifyPassword('s3cret', hash));
});

test('refused: a user name with ":" and an empty password (non-zero exit, nothing on stdout)', () => {
  const colon = hashPasswordCli(['a:b'], 'pw\n');
  assert.notEqual(colon.code, 0);
  assert.equal(colon.stdout, '');
  assert.match(colon.stderr, /cannot contain/);
  const empty = hashPasswordCli(['bob'], '\n');
  assert.notEqual(empty.code, 0);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /empty password/);
});

test('the printed line in a credentials file logs the user in over SMTP AUTH', { timeout: 60_000 }, async () => {
  const line = hashPasswordCli(['carol'], 'carol-pw\n');
  assert.equal(line.code, 0, line.stderr);
  const c = await makeCert('mx.test');
  const h = await Harness.start({
    'kumo.toml': `${BASE_MAIN}\n[listener.sub]\nlisten = "127.0.0.1:0"\ntls = { certificate = "cert.pem", private_key = "key.pem" }\nauth = { credentials = "users.txt" }\n`,
    'cert.pem': c.cert,
    'key.pem': c.key,
    'users.txt': line.stdout,
  });
  try {
    const s = await SmtpClient.connect(h.port('sub'));
    await s.hello();
    await s.starttls('mx.test');
    assert.equal((await s.authPlain('carol', 'wrong')).code, 535);
    assert.equal((await s.authPlain('carol', 'carol-pw')).code, 235);
    await s.quit();
  } finally {
    await h.close();
  }
});
