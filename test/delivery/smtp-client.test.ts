import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import { openSession, ConnectError } from '../../src/delivery/smtp-client.js';
import type { Route } from '../../src/dns/route.js';
import type { EgressSource } from '../../src/config/egress.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { TlsMode } from '../../src/shaping/types.js';
import { disposition, parseReply } from '../../src/delivery/response.js';
import { builtinClassifier } from '../../src/bounce/builtin.js';

const classifyBounce = (r: ReturnType<typeof parseReply>) => builtinClassifier().classify(r);

let plain: Sink;
let tls: Sink;
const got: SinkMessage[] = [];
const shaping = (enable_tls: TlsMode = 'Opportunistic') => ({ ...DEFAULT_SHAPING, enable_tls, connect_timeout_ms: 5000, banner_timeout_ms: 5000 });
const route = (port: number, name = 'mx.sink.test'): Route => ({ site: name, mxHosts: [name], hosts: [{ name, addrs: ['127.0.0.1'], port }], explicit: true });
const src: EgressSource = { name: 's1', file: '', ehloDomain: 'egress-1.kumo.test', sourceAddress: '127.0.0.2' };
const body = (n: number) => Buffer.from(`Subject: ${n}\r\n\r\n.leading dot\r\nline ${n}\r\n`);

before(async () => {
  plain = await startSink({ onMessage: (m) => got.push(m) });
  const pems = await generate([{ name: 'commonName', value: 'mx.sink.test' }], { keySize: 2048, algorithm: 'sha256' });
  tls = await startSink({ starttls: true, cert: pems.cert, key: pems.private, onMessage: (m) => got.push(m) });
});
after(async () => {
  await plain.close();
  await tls.close();
});

test('one session sends several messages, from the source address with its EHLO name, per-recipient replies', async () => {
  got.length = 0;
  const s = await openSession({ route: route(plain.port), source: src, hostname: 'node.test', shaping: shaping() });
  for (let i = 0; i < 5; i++) {
    const r = await s.send('sender@kumo.test', [`r${i}@x.test`], body(i));
    assert.equal(r.get(`r${i}@x.test`)?.code, 250);
  }
  const mixed = await s.send('sender@kumo.test', ['ok@x.test', 'tempfail@x.test', 'permfail@x.test'], body(9));
  assert.equal(disposition(mixed.get('ok@x.test')!), 'delivered');
  assert.equal(disposition(mixed.get('tempfail@x.test')!), 'transient');
  assert.equal(mixed.get('permfail@x.test')?.code, 550);
  assert.equal(mixed.get('permfail@x.test')?.enhanced, '5.1.1');
  assert.equal(mixed.get('permfail@x.test')?.command, 'RCPT TO');
  // every recipient rejected: the session stays usable (RSET) for the next message
  const none = await s.send('sender@kumo.test', ['permfail@x.test', 'tempfail@x.test'], body(10));
  assert.equal(none.get('permfail@x.test')?.code, 550);
  assert.equal(none.get('tempfail@x.test')?.code, 451);
  assert.ok(s.usable);
  const again = await s.send('sender@kumo.test', ['after@x.test'], body(11));
  assert.equal(again.get('after@x.test')?.code, 250);
  s.quit();
  assert.equal(got.length, 7);
  assert.ok(got.every((m) => m.remoteAddress === '127.0.0.2' && m.helo === 'egress-1.kumo.test'));
  assert.match(got[0].data.toString(), /^\.leading dot\r$/m, 'dot-stuffing round trip');
});

test('a dropped connection gives every recipient an internal transient reply', async () => {
  const s = await openSession({ route: route(plain.port), source: { name: 'u', file: '' }, hostname: 'node.test', shaping: shaping() });
  const r = await s.send('a@kumo.test', ['disconnect@x.test'], body(1));
  assert.equal(disposition(r.get('disconnect@x.test')!), 'transient');
  assert.ok(r.get('disconnect@x.test')?.internal);
  assert.equal(s.usable, false);
});

test('connection failures try the next address, then fail with an internal 451', async () => {
  const dead: Route = { site: 's', mxHosts: ['a', 'b'], hosts: [{ name: 'a', addrs: ['127.0.0.1'], port: 1 }, { name: 'b', addrs: ['127.0.0.1'], port: plain.port }], explicit: true };
  const s = await openSession({ route: dead, source: { name: 'u', file: '' }, hostname: 'n', shaping: shaping() });
  assert.equal(s.peer.port, plain.port);
  s.quit();
  await assert.rejects(openSession({ route: route(1), source: { name: 'u', file: '' }, hostname: 'n', shaping: shaping() }), (e: ConnectError) => e.reply.code === 451 && !!e.reply.internal && e.peer?.port === 1);
});

test('enable_tls modes: Opportunistic verifies, Insecure variants skip verification, Required needs STARTTLS, Disabled stays plain', async () => {
  const u = { name: 'u', file: '' };
  const open = (mode: TlsMode, port: number) => openSession({ route: route(port), source: u, hostname: 'n', shaping: shaping(mode) });
  // self-signed certificate: verification fails, and Opportunistic does not fall back to plain text
  // (the failure must be the certificate check at this peer, not any connection failure)
  const certRefused = (e: unknown) =>
    e instanceof ConnectError && e.reply.code === 451 && e.reply.command === 'CONN' && e.peer?.port === tls.port && /: self-signed certificate$/.test(e.reply.text);
  await assert.rejects(open('Opportunistic', tls.port), certRefused);
  await assert.rejects(open('Required', tls.port), certRefused);
  for (const mode of ['OpportunisticInsecure', 'RequiredInsecure'] as const) {
    const s = await open(mode, tls.port);
    assert.ok(s.tls, mode);
    assert.match(s.tls!.protocol ?? '', /^TLSv1\.[23]$/);
    assert.ok(s.tls!.cipher);
    assert.deepEqual(s.tls!.peerSubject, ['mx.sink.test']);
    got.length = 0;
    const r = await s.send('a@kumo.test', ['t@x.test'], body(1));
    assert.equal(r.get('t@x.test')?.code, 250);
    assert.equal(got[0].secure, true);
    s.quit();
  }
  const d = await open('Disabled', tls.port);
  assert.equal(d.tls, undefined);
  d.quit();
  // no STARTTLS offered: Opportunistic goes plain, Required fails
  const o = await open('Opportunistic', plain.port);
  assert.equal(o.tls, undefined);
  o.quit();
  await assert.rejects(open('RequiredInsecure', plain.port), (e: unknown) => e instanceof ConnectError && e.reply.command === 'STARTTLS' && e.peer?.port === plain.port && !!e.reply.internal);
});

test('replies are parsed and bounces classified', () => {
  const r = parseReply('550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 Please try again', 'RCPT TO');
  assert.equal(r.code, 550);
  assert.equal(r.enhanced, '5.1.1');
  assert.equal(r.text, 'The email account that you tried to reach does not exist. Please try again');
  assert.equal(classifyBounce(r), 'InvalidRecipient');
  assert.equal(classifyBounce(parseReply('552 5.2.2 mailbox is stuffed')), 'QuotaIssues');
  assert.equal(classifyBounce(parseReply('554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org')), 'SpamBlock');
  assert.equal(classifyBounce(parseReply('556 5.1.10 null MX')), 'BadDomain');
  assert.equal(classifyBounce(parseReply('500 whatever')), 'Uncategorized');
});

test('opportunistic_tls_reconnect_on_failed_handshake whose clear-text retry fails too: that failure is the one reported', async () => {
  // first connection: STARTTLS offered, then no TLS at all; second (clear text): refused in the banner
  let n = 0;
  const server = createServer((c) => {
    c.on('error', () => undefined);
    if (++n > 1) return void c.end('554 no service here\r\n');
    c.write('220 scripted ESMTP\r\n');
    c.on('data', (d: Buffer) => {
      const line = d.toString('latin1');
      if (/^EHLO/i.test(line)) c.write('250-scripted\r\n250 STARTTLS\r\n');
      else if (/^STARTTLS/i.test(line)) c.end('220 go ahead\r\nthis is not a TLS handshake\r\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const err = await openSession({ route: route(port), source: { name: 'u', file: '' }, hostname: 'n', shaping: { ...shaping('OpportunisticInsecure'), opportunistic_tls_reconnect_on_failed_handshake: true } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(n, 2, 'the same address was tried again in clear text');
    assert.match(err.reply.text, /554 no service here/);
    assert.equal(err.tlsFailed, false, 'the reported failure is the clear-text one');
  } finally {
    await new Promise((r) => server.close(r));
  }
});
