import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import { ConnectError, openSession } from '../../src/delivery/smtp-client.js';
import { proxyV2Header } from '../../src/delivery/proxy.js';
import type { Route } from '../../src/dns/route.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';

let sink: Sink;
const got: SinkMessage[] = [];
const servers: Server[] = [];
const shaping = { ...DEFAULT_SHAPING, connect_timeout_ms: 3000, banner_timeout_ms: 3000 };
const route = (): Route => ({ site: 'sink', mxHosts: ['mx.sink.test'], hosts: [{ name: 'mx.sink.test', addrs: ['127.0.0.1'], port: sink.port }], explicit: true });

before(async () => {
  sink = await startSink({ onMessage: (m) => got.push(m) });
});
after(async () => {
  await sink.close();
  for (const s of servers) s.close();
});

function listen(handler: (s: Socket) => void): Promise<number> {
  const srv = createServer(handler);
  servers.push(srv);
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port)));
}

/** Reads exactly n bytes from a socket. */
function readN(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const on = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        s.off('data', on);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    s.on('data', on);
    s.resume();
  });
}

test('PROXY protocol v2 header (IPv4 and IPv6)', () => {
  const h = proxyV2Header('192.0.2.10', '198.51.100.7', 25);
  assert.equal(h.subarray(0, 12).toString('hex'), '0d0a0d0a000d0a515549540a');
  assert.deepEqual([...h.subarray(12, 16)], [0x21, 0x11, 0, 12]);
  assert.deepEqual([...h.subarray(16, 24)], [192, 0, 2, 10, 198, 51, 100, 7]);
  assert.deepEqual([...h.subarray(24, 28)], [0, 0, 0, 25]);
  const h6 = proxyV2Header('2001:db8::1', '::1', 587);
  assert.equal(h6.length, 16 + 36);
  assert.equal(h6[13], 0x21);
  assert.equal(h6.subarray(16, 32).toString('hex'), '20010db8000000000000000000000001');
});

test('a source with ha_proxy_server connects through HAProxy with the PROXY header naming its address', async () => {
  let seen: { src: string; dst: string; port: number } | undefined;
  const port = await listen(async (client) => {
    const head = await readN(client, 28);
    seen = { src: [...head.subarray(16, 20)].join('.'), dst: [...head.subarray(20, 24)].join('.'), port: head.readUInt16BE(26) };
    const up = connect(seen.port, seen.dst, () => {
      client.pipe(up).pipe(client);
      client.resume();
    });
  });
  got.length = 0;
  const s = await openSession({ route: route(), source: { name: 'hap', file: '', haProxy: { server: { host: '127.0.0.1', port }, sourceAddress: '192.0.2.10' } }, hostname: 'n.test', shaping });
  const r = await s.send('a@kumo.test', ['x@y.test'], Buffer.from('Subject: via haproxy\r\n\r\nhi\r\n'));
  s.quit();
  assert.equal(r.get('x@y.test')?.code, 250);
  assert.deepEqual(seen, { src: '192.0.2.10', dst: '127.0.0.1', port: sink.port });
  assert.equal(got.length, 1);
});

test('a source with socks5_proxy_server connects through the SOCKS5 proxy', async () => {
  let asked: string | undefined;
  const port = await listen(async (client) => {
    const hello = await readN(client, 3);
    assert.deepEqual([...hello], [5, 1, 0]);
    client.write(Buffer.from([5, 0]));
    const req = await readN(client, 10);
    const dst = [...req.subarray(4, 8)].join('.');
    const dport = req.readUInt16BE(8);
    asked = `${dst}:${dport}`;
    const up = connect(dport, dst, () => {
      client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
      client.pipe(up).pipe(client);
      client.resume();
    });
  });
  got.length = 0;
  const s = await openSession({ route: route(), source: { name: 'socks', file: '', socks5: { server: { host: '127.0.0.1', port } } }, hostname: 'n.test', shaping });
  const r = await s.send('a@kumo.test', ['x@y.test'], Buffer.from('Subject: via socks\r\n\r\nhi\r\n'));
  s.quit();
  assert.equal(r.get('x@y.test')?.code, 250);
  assert.equal(asked, `127.0.0.1:${sink.port}`);
  assert.equal(got.length, 1);
});

test('binding to an address this host does not have is reported as unplumbed', async () => {
  await assert.rejects(
    openSession({ route: route(), source: { name: 'gone', file: '', sourceAddress: '192.0.2.55' }, hostname: 'n.test', shaping }),
    (e: ConnectError) => e instanceof ConnectError && e.unplumbed && e.reply.code === 451,
  );
});
