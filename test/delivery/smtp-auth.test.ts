// Outbound SMTP AUTH PLAIN (smtp_auth_plain_username / smtp_auth_plain_password): a receiver
// (smtp-server) that requires AUTH over STARTTLS, with a certificate from a test CA the client
// trusts (OpenOptions.ca); the credentials go only over TLS with a verified certificate unless
// allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate say so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import { openSession, ConnectError } from '../../src/delivery/smtp-client.js';
import type { Route } from '../../src/dns/route.js';
import { fileKeySource, inlineKeySource } from '../../src/keys/key-source.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { EffectiveShaping } from '../../src/shaping/types.js';
import { disposition } from '../../src/delivery/response.js';

interface Receiver {
  server: SMTPServer;
  port: number;
  auths: { user: string; pass: string; secure: boolean }[];
  messages: { user: unknown; secure: boolean; data: string }[];
}

async function caAndLeaf(name: string) {
  const ca = await generate([{ name: 'commonName', value: 'kumo-ts auth test CA' }], {
    keySize: 2048, algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }],
  });
  const leaf = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048, algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}

async function receiver(opts: Partial<SMTPServerOptions>): Promise<Receiver> {
  const r: Receiver = { server: undefined as unknown as SMTPServer, port: 0, auths: [], messages: [] };
  r.server = new SMTPServer({
    authMethods: ['PLAIN'],
    authOptional: false,
    logger: false,
    onAuth(auth, session, cb) {
      r.auths.push({ user: auth.username ?? '', pass: auth.password ?? '', secure: !!session.secure });
      if (auth.username === 'relay-user' && auth.password === 's3cret pw') return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        r.messages.push({ user: session.user, secure: !!session.secure, data: Buffer.concat(chunks).toString() });
        cb();
      });
    },
    ...opts,
  });
  r.server.on('error', () => undefined);
  await new Promise<void>((res) => r.server.listen(0, '127.0.0.1', () => res()));
  r.port = (r.server.server.address() as { port: number }).port;
  return r;
}

let pki: Awaited<ReturnType<typeof caAndLeaf>>;
let starttls: Receiver;
let cleartext: Receiver;
let pwFile: string;
const u = { name: 'u', file: '' };
const route = (port: number): Route => ({ site: 'mx.auth.test', mxHosts: ['mx.auth.test'], hosts: [{ name: 'mx.auth.test', addrs: ['127.0.0.1'], port }], explicit: true });
const shaping = (o: Partial<EffectiveShaping> = {}): EffectiveShaping => ({
  ...DEFAULT_SHAPING, connect_timeout_ms: 5000, banner_timeout_ms: 5000,
  smtp_auth_plain_username: 'relay-user', smtp_auth_plain_password: fileKeySource(pwFile), ...o,
});
const body = Buffer.from('Subject: relayed\r\n\r\nhello\r\n');

before(async () => {
  pki = await caAndLeaf('mx.auth.test');
  const dir = mkdtempSync(join(tmpdir(), 'kumo-auth-'));
  pwFile = join(dir, 'relay.pw');
  writeFileSync(pwFile, 's3cret pw\n', { mode: 0o600 });
  // AUTH only after STARTTLS (smtp-server's default: allowInsecureAuth false)
  starttls = await receiver({ key: pki.key, cert: pki.cert });
  // no STARTTLS at all, AUTH accepted in clear text
  cleartext = await receiver({ disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
});
after(async () => {
  await new Promise<void>((r) => starttls.server.close(() => r()));
  await new Promise<void>((r) => cleartext.server.close(() => r()));
});

test('AUTH PLAIN over verified STARTTLS: the receiver gets the configured credentials (password from a key source) and accepts', async () => {
  const s = await openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping(), ca: [pki.ca] });
  assert.ok(s.tls, 'TLS is up');
  const res = await s.send('a@client.test', ['b@far.test'], body);
  assert.equal(res.get('b@far.test')?.code, 250);
  await s.quit();
  assert.deepEqual(starttls.auths.at(-1), { user: 'relay-user', pass: 's3cret pw', secure: true });
  assert.equal(starttls.messages.at(-1)?.user, 'relay-user');
  assert.equal(starttls.messages.at(-1)?.secure, true);
});

test('TLS unavailable: the credentials are never sent; a TransientFailure names allow_smtp_auth_plain_without_tls', async () => {
  const n = cleartext.auths.length;
  await assert.rejects(openSession({ route: route(cleartext.port), source: u, hostname: 'client.test', shaping: shaping() }), (e: unknown) => {
    assert.ok(e instanceof ConnectError);
    assert.equal(e.reply.command, 'AUTH');
    assert.equal(disposition(e.reply), 'transient');
    assert.match(e.reply.text, /not encrypted \(the server did not offer STARTTLS\) and allow_smtp_auth_plain_without_tls is not set; the credentials were not sent/);
    return true;
  });
  // enable_tls = Disabled towards the STARTTLS receiver: the same
  await assert.rejects(openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping({ enable_tls: 'Disabled' }) }), (e: unknown) => e instanceof ConnectError && /enable_tls is Disabled/.test(e.reply.text));
  assert.equal(cleartext.auths.length, n, 'no AUTH reached the receiver');
  // allowed: sent in clear text
  const s = await openSession({ route: route(cleartext.port), source: u, hostname: 'client.test', shaping: shaping({ allow_smtp_auth_plain_without_tls: true }) });
  assert.equal(s.tls, undefined);
  await s.quit();
  assert.deepEqual(cleartext.auths.at(-1), { user: 'relay-user', pass: 's3cret pw', secure: false });
});

test('an unverified certificate (Insecure modes): not sent unless allow_smtp_auth_plain_without_valid_certificate', async () => {
  const n = starttls.auths.length;
  for (const enable_tls of ['OpportunisticInsecure', 'RequiredInsecure'] as const) {
    await assert.rejects(openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping({ enable_tls }) }), (e: unknown) =>
      e instanceof ConnectError && disposition(e.reply) === 'transient' && /certificate was not verified .*allow_smtp_auth_plain_without_valid_certificate is not set/.test(e.reply.text));
  }
  assert.equal(starttls.auths.length, n);
  const s = await openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping({ enable_tls: 'RequiredInsecure', allow_smtp_auth_plain_without_valid_certificate: true }) });
  await s.quit();
  assert.equal(starttls.auths.length, n + 1);
});

test('wrong password: the connection fails with a transient reply naming the AUTH failure; an unreadable password is never sent', async () => {
  await assert.rejects(openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping({ smtp_auth_plain_password: inlineKeySource('wrong') }), ca: [pki.ca] }), (e: unknown) =>
    e instanceof ConnectError && e.reply.code === 451 && /AUTH PLAIN as "relay-user" .* failed: 535/.test(e.reply.text));
  const n = starttls.auths.length;
  await assert.rejects(openSession({ route: route(starttls.port), source: u, hostname: 'client.test', shaping: shaping({ smtp_auth_plain_password: fileKeySource(join(tmpdir(), 'no-such-kumo-pw')) }), ca: [pki.ca] }), (e: unknown) =>
    e instanceof ConnectError && /cannot load smtp_auth_plain_password/.test(e.reply.text));
  assert.equal(starttls.auths.length, n);
});
