import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/auth/password-hash.js';
import { compileConfig } from '../../src/config/compile.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { SmtpClient, message } from '../smtp/helpers.js';
import { isReady, serveRoot } from './helpers.js';
import type { ServeRoot } from './helpers.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Runs a command with stdin text; resolves with its exit code and output (never rejects). */
function run(cmd: string, args: string[], input: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }));
    c.stdin!.end(input);
  });
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('STARTTLS by default (no tls configured, AUTH configured)', () => {
  let root: ServeRoot;
  let kumo: ServerProcess | undefined;
  const certPath = () => join(root.dir, 'data/tls/mx.deploy.test.pem');

  before(async () => {
    root = await serveRoot({
      listener: 'auth = { credentials = "users.txt" }',
      files: { 'config/users.txt': `alice:${await hashPassword('s3cret', { kind: 'bcrypt', cost: 4 })}\n` },
    });
    kumo = startKumo(['serve', '-c', 'config'], { cwd: root.dir });
    await kumo.waitFor(isReady, 60_000, 'serve ready');
  });
  after(async () => {
    await kumo?.stop('SIGKILL');
    root?.cleanup();
  });

  test('a certificate for the listener hostname is generated under the data directory, private', () => {
    const line = kumo!.lines.find((l) => /STARTTLS uses the self-signed certificate generated at/.test(String(l.msg)));
    assert.ok(line, 'the generation is logged');
    const pem = readFileSync(certPath(), 'utf8');
    const x = new X509Certificate(pem);
    assert.ok(x.checkHost('mx.deploy.test'));
    assert.ok(new Date(x.validTo).getTime() > Date.now() + 365 * 86_400_000);
    assert.equal(mode(certPath()), 0o600);
    assert.equal(mode(join(root.dir, 'data/tls')), 0o700);
  });

  test('EHLO before TLS offers STARTTLS and no AUTH; after STARTTLS AUTH works', async () => {
    const c = await SmtpClient.connect(root.smtpPort);
    const caps = await c.hello();
    assert.ok(caps.includes('STARTTLS'), caps.join(','));
    assert.ok(!caps.some((l) => l.startsWith('AUTH')), `no AUTH before TLS: ${caps.join(',')}`);
    assert.equal((await c.cmd('AUTH PLAIN ' + Buffer.from('\0alice\0s3cret').toString('base64'))).code, 530);
    const tlsCaps = await c.starttls('mx.deploy.test');
    assert.ok(tlsCaps.some((l) => /^AUTH\b.*PLAIN/.test(l)), tlsCaps.join(','));
    assert.equal((await c.authPlain('alice', 's3cret')).code, 235);
    const r = await c.send('alice@deploy.test', ['rcpt@example.net'], message({ messageId: 'tls-default-1@test' }));
    assert.equal(r.final?.code, 250);
    await c.quit();
  });

  test('openssl s_client -starttls smtp completes the handshake', { skip: !has('openssl') && 'openssl not installed' }, async () => {
    const r = await run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${root.smtpPort}`, '-servername', 'mx.deploy.test', '-brief'], 'QUIT\r\n');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /CONNECTION ESTABLISHED/, r.out);
    assert.match(r.out, /Protocol version: TLSv1\.[23]/, r.out);
    assert.match(r.out, /CN ?= ?mx\.deploy\.test/, r.out);
  });

  test('swaks --tls sends a message, and authenticates after TLS', { skip: !has('swaks') && 'swaks not installed' }, async () => {
    const base = ['--server', `127.0.0.1:${root.smtpPort}`, '--from', 'swaks@deploy.test', '--to', 'rcpt@example.net', '--tls', '--timeout', '20'];
    const plain = await run('swaks', base, '');
    assert.equal(plain.code, 0, plain.out);
    assert.match(plain.out, /<~ +250 /, plain.out);
    const auth = await run('swaks', [...base, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 's3cret'], '');
    assert.equal(auth.code, 0, auth.out);
    assert.match(auth.out, /<~ +235 /, auth.out);
  });

  test('spool, logs and their files are private (0700 / 0600)', () => {
    for (const d of ['data', 'data/spool', 'data/logs']) assert.equal(mode(join(root.dir, d)), 0o700, d);
    const spoolFiles = readdirSync(join(root.dir, 'data/spool'));
    assert.ok(spoolFiles.includes('data.mdb'), spoolFiles.join(','));
    // files 0600; directories inside the spool (the log hooks' event queue, hooks/) 0700 with 0600 files
    for (const f of spoolFiles) {
      const p = join(root.dir, 'data/spool', f);
      if (!statSync(p).isDirectory()) assert.equal(mode(p), 0o600, f);
      else {
        assert.equal(mode(p), 0o700, f);
        for (const g of readdirSync(p)) assert.equal(mode(join(p, g)), 0o600, `${f}/${g}`);
      }
    }
    const logFiles = readdirSync(join(root.dir, 'data/logs'));
    assert.ok(logFiles.some((f) => f.endsWith('.jsonl')), logFiles.join(','));
    for (const f of logFiles) assert.equal(mode(join(root.dir, 'data/logs', f)), 0o600, f);
  });

  test('a restart keeps the generated certificate', async () => {
    const before = new X509Certificate(readFileSync(certPath())).fingerprint256;
    assert.equal(await kumo!.stop(), 0);
    kumo = startKumo(['serve', '-c', 'config'], { cwd: root.dir });
    await kumo.waitFor(isReady, 60_000, 'serve ready again');
    assert.ok(kumo.lines.some((l) => /self-signed certificate kept at/.test(String(l.msg))));
    assert.equal(new X509Certificate(readFileSync(certPath())).fingerprint256, before);
    const c = await SmtpClient.connect(root.smtpPort);
    await c.hello();
    await c.starttls('mx.deploy.test');
    assert.equal((c.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.fingerprint256, before);
    await c.quit();
  });

  test('validate warns that AUTH runs under the generated certificate', async () => {
    const r = await compileConfig({ root: join(root.dir, 'config') });
    assert.ok(r.ok);
    assert.ok(r.warnings.some((w) => w.code === 'value.auth-self-signed'), JSON.stringify(r.warnings));
  });
});
