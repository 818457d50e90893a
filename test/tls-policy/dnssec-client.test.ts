// The DNSSEC stub client against a scripted DNS server on loopback (UDP and TCP, dns-packet):
// falling over to the next resolver on SERVFAIL and on silence, a truncated UDP answer retried
// over TCP, a stray datagram ignored.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import packet from 'dns-packet';
import { DnssecClient } from '../../src/tls-policy/dnssec-client.js';
import { DnsError } from '../../src/dns/resolver.js';

type Mode = 'answer' | 'servfail' | 'silent' | 'truncate' | 'stray-first' | 'truncate-garbage';
interface Lab { port: number; udpQueries: number; tcpQueries: number; close(): Promise<void> }

const SERVFAIL = 2;
const labs: Lab[] = [];
after(async () => {
  for (const l of labs) await l.close();
});

function answer(q: packet.Packet, flags: number): Buffer {
  const name = q.questions![0]!.name;
  return packet.encode({
    type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | flags,
    questions: q.questions,
    answers: flags & packet.TRUNCATED_RESPONSE || (flags & 15) === SERVFAIL ? [] : [{ type: 'A', name, ttl: 60, data: '192.0.2.7' }],
  });
}

/** A DNS server on 127.0.0.1 (UDP and TCP on the same port) answering as `mode` says. */
async function lab(mode: Mode): Promise<Lab> {
  const tcp: Server = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      l.tcpQueries++;
      const q = packet.streamDecode(buf);
      const a = mode === 'truncate-garbage' ? Buffer.from([0, 1, 0xff]) : answer(q, packet.AUTHENTIC_DATA);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(a.length);
      c.end(Buffer.concat([len, a]));
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const port = (tcp.address() as AddressInfo).port;
  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, from) => {
    l.udpQueries++;
    const q = packet.decode(msg);
    const send = (b: Buffer) => udp.send(b, from.port, from.address);
    if (mode === 'silent') return;
    if (mode === 'servfail') return send(answer(q, SERVFAIL));
    if (mode === 'truncate' || mode === 'truncate-garbage') return send(answer(q, packet.TRUNCATED_RESPONSE));
    if (mode === 'stray-first') {
      send(Buffer.from('not a DNS message'));
      send(answer({ ...q, id: (q.id! + 1) % 65536 }, 0)); // another query's answer, without AD
    }
    send(answer(q, packet.AUTHENTIC_DATA));
  });
  await new Promise<void>((r, j) => udp.once('error', j).bind(port, '127.0.0.1', () => r()));
  const l: Lab = {
    port, udpQueries: 0, tcpQueries: 0,
    close: () => new Promise<void>((r) => udp.close(() => tcp.close(() => r()))),
  };
  labs.push(l);
  return l;
}

const server = (l: Lab) => ({ host: '127.0.0.1', port: l.port });

test('a truncated UDP answer is asked again over TCP', async () => {
  const l = await lab('truncate');
  const a = await new DnssecClient([server(l)], 5_000).query('mx.example.test', 'A');
  assert.equal(l.tcpQueries, 1);
  assert.equal(a.secure, true);
  assert.deepEqual(a.records.map((r) => (r as { data: unknown }).data), ['192.0.2.7']);
});

test('SERVFAIL from the first resolver: the next one answers; SERVFAIL from all throws SERVFAIL naming the server', async () => {
  const bad = await lab('servfail');
  const good = await lab('answer');
  const a = await new DnssecClient([server(bad), server(good)], 5_000).query('mx.example.test', 'A');
  assert.equal(bad.udpQueries, 1);
  assert.equal(a.records.length, 1);
  await assert.rejects(new DnssecClient([server(bad)], 5_000).query('mx.example.test', 'A'),
    (e: unknown) => e instanceof DnsError && e.code === 'SERVFAIL' && e.message.includes(`127.0.0.1:${bad.port}`));
});

test('a silent resolver times out (TIMEOUT) and the next one answers', async () => {
  const silent = await lab('silent');
  const good = await lab('answer');
  await assert.rejects(new DnssecClient([server(silent)], 300).query('mx.example.test', 'A'),
    (e: unknown) => e instanceof DnsError && e.code === 'TIMEOUT' && /no answer from .* within 300 ms/.test(e.message));
  const a = await new DnssecClient([server(silent), server(good)], 300).query('mx.example.test', 'A');
  assert.equal(a.records.length, 1);
});

test('a stray datagram and another query\'s answer are ignored; the matching answer is taken', async () => {
  const l = await lab('stray-first');
  const a = await new DnssecClient([server(l)], 5_000).query('mx.example.test', 'A');
  assert.equal(a.secure, true, 'the answer with the query\'s id (AD set), not the other one');
  assert.equal(a.records.length, 1);
});

test('a TCP answer that is not a DNS message: TIMEOUT-class DnsError with the decoder\'s reason, not a hang', async () => {
  const l = await lab('truncate-garbage');
  await assert.rejects(new DnssecClient([server(l)], 5_000).query('mx.example.test', 'A'), (e: unknown) => e instanceof DnsError && e.code === 'TIMEOUT' && e.message.startsWith('mx.example.test A: '));
  assert.equal(l.tcpQueries, 1);
});
