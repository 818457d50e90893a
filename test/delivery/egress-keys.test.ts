// The egress-path keys the SMTP client acts on besides the timeouts: smtp_port, ehlo_domain,
// remember_broken_tls (and opportunistic_tls_reconnect_on_failed_handshake), prohibited_hosts,
// skip_hosts. Real sockets on loopback; the TLS memory gets its own clock so that "after the
// period" needs no sleep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { generate } from 'selfsigned';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import { openSession, ConnectError } from '../../src/delivery/smtp-client.js';
import { BrokenTlsMemory } from '../../src/delivery/broken-tls.js';
import type { Route } from '../../src/dns/route.js';
import type { EgressSource } from '../../src/config/egress.js';
import { CidrSet } from '../../src/config/values.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { EffectiveShaping } from '../../src/shaping/types.js';
import { disposition } from '../../src/delivery/response.js';

let plain: Sink;
let tls: Sink;
let listener2: Server;
const got: SinkMessage[] = [];
const at2: string[] = [];
const u = { name: 'u', file: '' };
const shaping = (o: Partial<EffectiveShaping> = {}): EffectiveShaping => ({ ...DEFAULT_SHAPING, connect_timeout_ms: 5000, banner_timeout_ms: 5000, ...o });
const route = (port: number | undefined, addrs = ['127.0.0.1'], name = 'mx.sink.test'): Route => ({ site: name, mxHosts: [name], hosts: [{ name, addrs, ...(port ? { port } : {}) }], explicit: true });
const body = Buffer.from('Subject: t\r\n\r\nhello\r\n');

before(async () => {
  plain = await startSink({ onMessage: (m) => got.push(m) });
  const pems = await generate([{ name: 'commonName', value: 'mx.sink.test' }], { keySize: 2048, algorithm: 'sha256' });
  tls = await startSink({ starttls: true, cert: pems.cert, key: pems.private, onMessage: (m) => got.push(m) });
  // a listener on 127.0.0.2 at the plain sink's port: it records any connection made to it
  listener2 = createServer((s) => {
    at2.push('connection');
    s.destroy();
  });
  await new Promise<void>((r, j) => listener2.once('error', j).listen(plain.port, '127.0.0.2', () => r()));
});
after(async () => {
  await plain.close();
  await tls.close();
  await new Promise<void>((r) => listener2.close(() => r()));
});

test('smtp_port: hosts without a port of their own are reached on it; the source\'s remote_port wins', async () => {
  const s = await openSession({ route: route(undefined), source: u, hostname: 'n', shaping: shaping({ smtp_port: plain.port }) });
  assert.equal(s.peer.port, plain.port);
  await s.quit();
  await assert.rejects(openSession({ route: route(undefined), source: { ...u, remotePort: 1 }, hostname: 'n', shaping: shaping({ smtp_port: plain.port }) }), (e: unknown) => e instanceof ConnectError && e.peer?.port === 1);
});

test('ehlo_domain: the path\'s wins over the egress source\'s, which wins over the hostname', async () => {
  const ehlo = async (o: Partial<EffectiveShaping>, source: EgressSource = u) => {
    got.length = 0;
    const s = await openSession({ route: route(plain.port), source, hostname: 'node.host.test', shaping: shaping(o) });
    assert.equal((await s.send('a@kumo.test', ['r@x.test'], body)).get('r@x.test')?.code, 250);
    await s.quit();
    return got[0]?.helo;
  };
  assert.equal(await ehlo({}), 'node.host.test');
  assert.equal(await ehlo({}, { ...u, ehloDomain: 'source.ehlo.test' }), 'source.ehlo.test');
  assert.equal(await ehlo({ ehlo_domain: 'path.ehlo.test' }, { ...u, ehloDomain: 'source.ehlo.test' }), 'path.ehlo.test');
});

test('remember_broken_tls: after a failed handshake the next connection skips STARTTLS (Opportunistic), uses it again after the period, Required ignores it', async () => {
  let now = 1_000_000;
  const memory = new BrokenTlsMemory(() => now);
  const key = 'u->mx.sink.test@smtp_client';
  const open = (o: Partial<EffectiveShaping>) => openSession({ route: route(tls.port), source: u, hostname: 'n', shaping: shaping(o), tlsMemory: memory, tlsMemoryKey: key });
  const certRefused = (e: unknown) => e instanceof ConnectError && /self-signed certificate/.test(e.reply.text) && !!e.tlsFailed;
  const remember = { enable_tls: 'Opportunistic' as const, remember_broken_tls_ms: 3_600_000 };

  // without remember_broken_tls nothing is remembered: the second attempt fails the same way
  await assert.rejects(open({ enable_tls: 'Opportunistic' }), certRefused);
  await assert.rejects(open({ enable_tls: 'Opportunistic' }), certRefused);

  await assert.rejects(open(remember), (e: unknown) => certRefused(e) && /remember_broken_tls: STARTTLS is skipped on this path for 1h/.test((e as ConnectError).reply.text));
  got.length = 0;
  const s = await open(remember);
  assert.equal(s.tls, undefined, 'plain text: STARTTLS treated as not offered');
  assert.equal((await s.send('a@kumo.test', ['r@x.test'], body)).get('r@x.test')?.code, 250);
  assert.equal(got[0]?.secure, false);
  await s.quit();
  // Required (and RequiredInsecure) never skip STARTTLS because of it
  await assert.rejects(open({ ...remember, enable_tls: 'Required' }), certRefused);
  // ...nor does their own failed handshake claim it will be skipped, or get remembered
  const requiredKey = 'u->mx.sink.test@smtp_client;tls=Required';
  await assert.rejects(
    openSession({ route: route(tls.port), source: u, hostname: 'n', shaping: shaping({ ...remember, enable_tls: 'Required' }), tlsMemory: memory, tlsMemoryKey: requiredKey }),
    (e: unknown) => certRefused(e) && !/remember_broken_tls/.test((e as ConnectError).reply.text),
  );
  assert.equal(memory.isBroken(requiredKey), false);
  const ri = await open({ ...remember, enable_tls: 'RequiredInsecure' });
  assert.ok(ri.tls);
  await ri.quit();
  // the period is over: STARTTLS again (and it fails again, so it is remembered again)
  now += 3_600_001;
  await assert.rejects(open(remember), certRefused);
  assert.equal(memory.isBroken(key), true);
});

test('opportunistic_tls_reconnect_on_failed_handshake: the same address again in clear text at once, remembered 15 minutes by default', async () => {
  let now = 5_000_000;
  const memory = new BrokenTlsMemory(() => now);
  const key = 'u->reconnect@smtp_client';
  const s = await openSession({ route: route(tls.port), source: u, hostname: 'n', shaping: shaping({ opportunistic_tls_reconnect_on_failed_handshake: true }), tlsMemory: memory, tlsMemoryKey: key });
  assert.equal(s.tls, undefined);
  assert.equal(s.peer.port, tls.port);
  await s.quit();
  assert.equal(memory.isBroken(key), true);
  now += 15 * 60_000 + 1;
  assert.equal(memory.isBroken(key), false);
  // not in a Required mode
  await assert.rejects(openSession({ route: route(tls.port), source: u, hostname: 'n', shaping: shaping({ enable_tls: 'Required', opportunistic_tls_reconnect_on_failed_handshake: true }), tlsMemory: memory, tlsMemoryKey: key }), ConnectError);
});

test('skip_hosts: a listed address is left out of the plan (never connected); all listed → 451 4.4.4 for the whole queue', async () => {
  at2.length = 0;
  const r = route(plain.port, ['127.0.0.2', '127.0.0.1']);
  // control: without skip_hosts the first address is tried (and fails)
  const c = await openSession({ route: r, source: u, hostname: 'n', shaping: shaping() });
  assert.equal(c.peer.addr, '127.0.0.1');
  await c.quit();
  assert.equal(at2.length, 1, 'the unskipped 127.0.0.2 was tried first');
  at2.length = 0;
  const s = await openSession({ route: r, source: u, hostname: 'n', shaping: shaping({ skip_hosts: new CidrSet(['127.0.0.2/32']) }) });
  assert.equal(s.peer.addr, '127.0.0.1');
  await s.quit();
  assert.equal(at2.length, 0, '127.0.0.2 was skipped');
  await assert.rejects(openSession({ route: r, source: u, hostname: 'n', shaping: shaping({ skip_hosts: new CidrSet(['127.0.0.0/8']) }) }), (e: unknown) => {
    assert.ok(e instanceof ConnectError);
    assert.equal(e.reply.code, 451);
    assert.equal(e.reply.enhanced, '4.4.4');
    assert.match(e.reply.text, /skip_hosts/);
    assert.equal(disposition(e.reply), 'transient');
    assert.ok(e.wholeQueue && !e.permanent);
    return true;
  });
});

test('prohibited_hosts: any listed address fails the destination (550 5.4.4, permanent), nothing is connected', async () => {
  at2.length = 0;
  const before = plain.stats.connections;
  const r = route(plain.port, ['127.0.0.1', '127.0.0.2']);
  await assert.rejects(openSession({ route: r, source: u, hostname: 'n', shaping: shaping({ prohibited_hosts: new CidrSet(['127.0.0.2/32']) }) }), (e: unknown) => {
    assert.ok(e instanceof ConnectError);
    assert.equal(e.reply.code, 550);
    assert.equal(e.reply.enhanced, '5.4.4');
    assert.match(e.reply.text, /prohibited_hosts.*127\.0\.0\.2/);
    assert.ok(e.permanent && e.wholeQueue);
    return true;
  });
  assert.equal(at2.length, 0);
  assert.equal(plain.stats.connections, before);
  // not listed: delivered as usual
  const s = await openSession({ route: r, source: u, hostname: 'n', shaping: shaping({ prohibited_hosts: new CidrSet(['10.0.0.0/8']) }) });
  assert.equal(s.peer.addr, '127.0.0.1');
  await s.quit();
});
