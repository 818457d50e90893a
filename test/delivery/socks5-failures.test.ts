import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connectViaSocks5, ProxyError } from '../../src/delivery/proxy.js';

/**
 * connectViaSocks5 against scripted SOCKS5 peers on loopback: each way a proxy can fail ends in
 * an error naming it (a refused port, not SOCKS5, closed mid-handshake, silent, CONNECT refused),
 * never a hang or an uncaught socket error.
 */
const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const s of sockets) s.destroy(); // a silent peer never reads the client's FIN
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** A proxy that runs `script` on each connection. */
async function proxy(script: (s: Socket) => void): Promise<{ host: string; port: number }> {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    script(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

const rejectsWith = (p: Promise<unknown>, re: RegExp, code?: string) =>
  assert.rejects(p, (e: Error & { code?: string }) => {
    assert.match(e.message, re);
    if (code) assert.equal(e.code, code);
    return true;
  });

test('a proxy port nobody listens on: the connect error (ECONNREFUSED)', async () => {
  const gone = await proxy(() => undefined);
  await new Promise((r) => servers.pop()!.close(r));
  await rejectsWith(connectViaSocks5(gone, '127.0.0.1', 25, 5_000), /ECONNREFUSED/, 'ECONNREFUSED');
});

test('a server that is not SOCKS5 (answers version 4) is named so', async () => {
  const p = await proxy((s) => s.once('data', () => s.write(Buffer.from([4, 0]))));
  await rejectsWith(connectViaSocks5(p, '127.0.0.1', 25, 5_000), new RegExp(`SOCKS5 proxy 127\\.0\\.0\\.1:${p.port} does not speak SOCKS5 \\(version 4\\)`));
});

test('a proxy closing the connection mid-handshake: "closed the connection"', async () => {
  const p = await proxy((s) => s.once('data', () => s.end()));
  await rejectsWith(connectViaSocks5(p, '127.0.0.1', 25, 5_000), /SOCKS5 proxy closed the connection/);
});

test('a proxy that never answers: "did not answer" after the timeout (ETIMEDOUT)', async () => {
  const p = await proxy(() => undefined);
  await rejectsWith(connectViaSocks5(p, '127.0.0.1', 25, 300), /SOCKS5 proxy did not answer/, 'ETIMEDOUT');
});

test('a proxy refusing the CONNECT: the destination and the SOCKS5 reply code', async () => {
  const p = await proxy((s) => {
    let step = 0;
    s.on('data', () => {
      if (step++ === 0) s.write(Buffer.from([5, 0])); // no authentication
      else s.write(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])); // connection refused
    });
  });
  const err = await connectViaSocks5(p, '192.0.2.7', 2525, 5_000).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ProxyError);
  assert.equal(err.message, 'SOCKS5 proxy refused the connection to 192.0.2.7:2525 (reply 5)');
});
