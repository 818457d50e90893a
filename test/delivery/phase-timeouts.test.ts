// Each outbound SMTP phase has its own timeout (KumoMTA's ehlo_timeout, mail_from_timeout,
// rcpt_to_timeout, data_timeout, data_dot_timeout, starttls_timeout, tls_handshake_timeout): a scripted server on
// loopback stalls at exactly one phase; only that phase's timeout is short, every other one
// is long, so a shared socket timeout could neither fire in time nor name the phase.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { openSession, ConnectError } from '../../src/delivery/smtp-client.js';
import type { Route } from '../../src/dns/route.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { EffectiveShaping } from '../../src/shaping/types.js';
import { disposition } from '../../src/delivery/response.js';

type Stall = 'EHLO' | 'STARTTLS' | 'HANDSHAKE' | 'MAIL' | 'RCPT' | 'DATA' | 'DOT';

interface Stalling {
  server: Server;
  port: number;
  /** commands received, in order */
  seen: string[];
  sockets: Set<Socket>;
}

/** Answers everything except the stalled phase, which it never answers (it keeps the connection open). */
async function stallAt(stall: Stall): Promise<Stalling> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.write('220 stall.test ESMTP\r\n');
    let buf = '';
    let inData = false;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          seen.push('.');
          if (stall !== 'DOT') s.write('250 2.0.0 queued\r\n');
          continue;
        }
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        seen.push(verb);
        if (verb === stall) continue; // STARTTLS: not even the 220
        if (verb === 'STARTTLS' && stall === 'HANDSHAKE') {
          // the 220, then never a byte of the TLS handshake
          s.removeAllListeners('data');
          s.write('220 2.0.0 ready\r\n');
          return;
        }
        if (verb === 'EHLO') s.write(`250-stall.test\r\n${stall === 'STARTTLS' || stall === 'HANDSHAKE' ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'DATA') {
          inData = true;
          s.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') s.end('221 bye\r\n');
        else s.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, seen, sockets };
}

const servers: Stalling[] = [];
after(async () => {
  for (const s of servers) {
    for (const k of s.sockets) k.destroy();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});

const LONG = 60_000;
const SHORT = 300;
function shaping(short: keyof EffectiveShaping): EffectiveShaping {
  return {
    ...DEFAULT_SHAPING,
    enable_tls: 'Opportunistic',
    connect_timeout_ms: LONG,
    banner_timeout_ms: LONG,
    ehlo_timeout_ms: LONG,
    mail_from_timeout_ms: LONG,
    rcpt_to_timeout_ms: LONG,
    data_timeout_ms: LONG,
    data_dot_timeout_ms: LONG,
    starttls_timeout_ms: LONG,
    [short]: SHORT,
  };
}
const route = (port: number): Route => ({ site: 'stall.test', mxHosts: ['stall.test'], hosts: [{ name: 'stall.test', addrs: ['127.0.0.1'], port }], explicit: true });
const src = { name: 'u', file: '' };

for (const [stall, key, phaseKey] of [
  ['EHLO', 'ehlo_timeout_ms', 'ehlo_timeout'],
  ['STARTTLS', 'starttls_timeout_ms', 'starttls_timeout'],
  ['HANDSHAKE', 'starttls_timeout_ms', 'starttls_timeout'],
  // set, tls_handshake_timeout takes over from the 220 (starttls_timeout stays long)
  ['HANDSHAKE', 'tls_handshake_timeout_ms', 'tls_handshake_timeout'],
] as const) {
  test(`${phaseKey} fires on its own while the server stalls at ${stall}`, { timeout: 30_000 }, async () => {
    const srv = await stallAt(stall);
    servers.push(srv);
    await assert.rejects(openSession({ route: route(srv.port), source: src, hostname: 'client.test', shaping: shaping(key) }), (e: unknown) => {
      assert.ok(e instanceof ConnectError, String(e));
      assert.match(e.reply.text, new RegExp(`${phaseKey} \\(300ms\\) expired`), e.reply.text);
      assert.equal(e.reply.command, stall === 'EHLO' ? 'EHLO' : 'STARTTLS');
      assert.equal(disposition(e.reply), 'transient');
      return true;
    });
    assert.equal(srv.seen.at(-1), stall === 'HANDSHAKE' ? 'STARTTLS' : stall);
  });
}

for (const [stall, key, phaseKey, command] of [
  ['MAIL', 'mail_from_timeout_ms', 'mail_from_timeout', 'MAIL FROM'],
  ['RCPT', 'rcpt_to_timeout_ms', 'rcpt_to_timeout', 'RCPT TO'],
  ['DATA', 'data_timeout_ms', 'data_timeout', 'DATA'],
  ['DOT', 'data_dot_timeout_ms', 'data_dot_timeout', 'DATA'],
] as const) {
  test(`${phaseKey} fires on its own while the server stalls at ${stall}`, { timeout: 30_000 }, async () => {
    const srv = await stallAt(stall);
    servers.push(srv);
    const session = await openSession({ route: route(srv.port), source: src, hostname: 'client.test', shaping: shaping(key) });
    const res = await session.send('a@client.test', ['b@stall.test'], Buffer.from('Subject: x\r\n\r\nbody\r\n'));
    const reply = res.get('b@stall.test')!;
    assert.match(reply.text, new RegExp(`${phaseKey} \\(300ms\\) expired`), reply.text);
    assert.equal(reply.command, command);
    assert.ok(reply.internal);
    assert.equal(disposition(reply), 'transient');
    assert.equal(srv.seen.at(-1), stall === 'DOT' ? '.' : stall);
    assert.equal(session.usable, false);
    await session.quit();
  });
}
