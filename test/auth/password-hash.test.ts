// What the credentials file accepts as a password hash, and what verifying does with one
// that cannot be used.
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CredentialStore } from '../../src/auth/credential-store.js';
import { parseCredentials } from '../../src/auth/credentials.js';
import { PasswordHashError, hashKind, hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { fileKeySource } from '../../src/keys/key-source.js';
import { createLogger } from '../../src/logging/logger.js';

const b64 = (b: Buffer) => b.toString('base64');

test('the "scrypt$N$r$p$salt$hash" form (N itself) is read and verified', async () => {
  const salt = Buffer.from('0123456789abcdef');
  const hash = scryptSync('s3cret', salt, 32, { N: 1024, r: 8, p: 1 });
  const stored = `scrypt$1024$8$1$${b64(salt)}$${b64(hash)}`;
  assert.equal(hashKind(stored), 'scrypt');
  assert.equal(await verifyPassword('s3cret', stored), true);
  assert.equal(await verifyPassword('s3cret!', stored), false);
  // N must be a power of two
  assert.equal(hashKind(`scrypt$1000$8$1$${b64(salt)}$${b64(hash)}`), undefined);
});

test('a string that is not a bcrypt or scrypt hash: verifyPassword throws PasswordHashError (auth.bad-hash)', async () => {
  await assert.rejects(verifyPassword('pw', 'plaintext-password'), (e: unknown) => {
    assert.ok(e instanceof PasswordHashError);
    assert.equal(e.code, 'auth.bad-hash');
    assert.equal(e.name, 'PasswordHashError');
    return true;
  });
});

test('hashPassword refuses a scrypt cost outside 10..20', async () => {
  for (const cost of [9, 21]) await assert.rejects(hashPassword('pw', { cost }), { code: 'auth.bad-hash', message: /10\.\.20/ });
});

test('a username with white space or a control character is refused, naming the line', () => {
  const good = `$scrypt$ln=10,r=8,p=1$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(32, 2))}`;
  const c = parseCredentials(`al ice:${good}\nbo\tb:${good}\ncarol:${good}\n`, 'users.txt');
  assert.deepEqual([...c.users.keys()], ['carol']);
  assert.deepEqual(c.problems, [
    'users.txt:1: the username contains white space or control characters',
    'users.txt:2: the username contains white space or control characters',
  ]);
});

test('a well-formed hash whose scrypt parameters cannot run: AUTH fails and the log says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-auth-'));
  const lines: string[] = [];
  const store = new CredentialStore('sub', fileKeySource(join(dir, 'users.txt')), createLogger({ level: 'debug', out: (l) => lines.push(l) }));
  try {
    // r=999, p=999 with N=2 passes the format check, but needs far more memory than N*r allows
    const odd = `$scrypt$ln=1,r=999,p=999$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(32, 2))}`;
    writeFileSync(join(dir, 'users.txt'), `mallory:${odd}\nalice:${await hashPassword('alice-pw', { kind: 'bcrypt', cost: 4 })}\n`);
    await store.start();
    assert.equal(store.userCount, 2, 'both lines are loaded');
    assert.equal(await store.verify('mallory', 'anything'), false);
    assert.ok(lines.some((l) => l.includes('listener sub AUTH: the hash of \\"mallory\\" cannot be used')), lines.join('\n'));
    assert.equal(await store.verify('alice', 'alice-pw'), true, 'the other users are not affected');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
