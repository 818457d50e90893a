import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { openSession } from '../../src/delivery/smtp-client.js';
import type { Route } from '../../src/dns/route.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';

/**
 * A server that stops answering: RSET after a refused MAIL FROM (the session is given up, not
 * reused), QUIT (we close the connection ourselves, so the lease is not held forever).
 * Scripted SMTP peers on loopback; the client's own fallback timers (10 s, 5 s) end each case.
 */
const servers: Server[] = [];
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** A line-based SMTP peer: `answer(line)` gives the reply, or undefined for silence. */
async function peer(answer: (line: string) => string | undefined, closed: (() => void)[] = []): Promise<number> {
  const server = createServer((c: Socket) => {
    c.on('error', () => undefined);
    c.on('close', () => closed.shift()?.());
    c.write('220 scripted ESMTP\r\n');
    let buf = '';
    let data = false;
    c.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i; (i = buf.indexOf('\r\n')) >= 0; ) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (line === '.') {
            data = false;
            c.write('250 queued\r\n');
          }
          continue;
        }
        if (/^DATA/i.test(line)) {
          data = true;
          c.write('354 go\r\n');
          continue;
        }
        const r = answer(line);
        if (r !== undefined) c.write(`${r}\r\n`);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const route = (port: number): Route => ({ site: 'mx.test', mxHosts: ['mx.test'], hosts: [{ name: 'mx.test', addrs: ['127.0.0.1'], port }], explicit: true });
const open = (port: number) => openSession({ route: route(port), source: { name: 'u', file: '' }, hostname: 'n', shaping: { ...DEFAULT_SHAPING, enable_tls: 'Disabled', connect_timeout_ms: 5000, banner_timeout_ms: 5000 } });
const body = Buffer.from('Subject: t\r\n\r\nhi\r\n');

test('no answer to RSET after a refused MAIL FROM: the refusal is the reply, and the session is no longer used', { timeout: 60_000 }, async () => {
  const port = await peer((l) => (/^EHLO/i.test(l) ? '250 scripted' : /^MAIL/i.test(l) ? '550 5.7.1 sender refused' : /^RSET/i.test(l) ? undefined : '250 ok'));
  const s = await open(port);
  const r = (await s.send('a@x.test', ['b@y.test'], body)).get('b@y.test')!;
  assert.equal(r.code, 550);
  assert.equal(s.usable, false, 'a connection that left RSET unanswered is not reused');
  // a send on it now fails at once, nothing is written
  const r2 = (await s.send('a@x.test', ['c@y.test'], body)).get('c@y.test')!;
  assert.equal(r2.internal, true);
  assert.match(r2.text, /connection lost before MAIL FROM/);
  await s.quit();
});

test('no answer to QUIT: the client closes the connection itself', { timeout: 60_000 }, async () => {
  let closedAt: Promise<void> | undefined;
  const closed: (() => void)[] = [];
  closedAt = new Promise<void>((r) => closed.push(r));
  const port = await peer((l) => (/^EHLO/i.test(l) ? '250 scripted' : /^QUIT/i.test(l) ? undefined : '250 ok'), closed);
  const s = await open(port);
  assert.equal((await s.send('a@x.test', ['b@y.test'], body)).get('b@y.test')!.code, 250);
  await s.quit();
  await closedAt; // the server saw the connection end, without ever answering QUIT
});
