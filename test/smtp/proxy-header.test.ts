// PROXY header parsing at the edges: a v1 header that has not ended yet, a v2 PROXY command
// with no usable address family, and IPv4-mapped IPv6 addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyProtocolError, parseProxyHeader } from '../../src/smtp/proxy-protocol.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2(fam: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  SIG.copy(h);
  h[12] = 0x21; // v2, PROXY
  h[13] = fam;
  h.writeUInt16BE(body.length, 14);
  return Buffer.concat([h, body]);
}

test('v1 without its CRLF yet: more bytes are needed while it can still be a PROXY header', () => {
  for (const part of ['P', 'PROX', 'PROXY ', 'PROXY TCP4 192.0.2.1']) assert.equal(parseProxyHeader(Buffer.from(part)), undefined, part);
});

test('v1 without its CRLF: refused once it is not a PROXY header or longer than 107 bytes', () => {
  assert.throws(() => parseProxyHeader(Buffer.from('EHLO x')), (e: unknown) => e instanceof ProxyProtocolError && e.code === 'PROXY_PROTOCOL' && /not a PROXY header/.test(e.message));
  assert.throws(() => parseProxyHeader(Buffer.from('PRO-')), /not a PROXY header/);
  assert.throws(() => parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(110)}`)), /PROXY v1 header too long/);
});

test('v2 PROXY command with AF_UNSPEC (or a unix socket): no address, the real peer is used', () => {
  const unspec = v2(0x00, Buffer.alloc(0));
  assert.deepEqual(parseProxyHeader(unspec), { length: 16, info: { kind: 'local' } });
  const unix = v2(0x31, Buffer.alloc(216));
  assert.deepEqual(parseProxyHeader(unix), { length: 16 + 216, info: { kind: 'local' } });
});

test('v2 over IPv6 with IPv4-mapped addresses: reported as dotted IPv4', () => {
  const body = Buffer.alloc(36);
  Buffer.from('00000000000000000000ffffc0000209', 'hex').copy(body, 0); // ::ffff:192.0.2.9
  Buffer.from('20010db8000000000000000000000025', 'hex').copy(body, 16); // 2001:db8::25
  body.writeUInt16BE(40000, 32);
  body.writeUInt16BE(25, 34);
  const r = parseProxyHeader(Buffer.concat([v2(0x21, body), Buffer.from('EHLO x\r\n')]));
  assert.equal(r?.length, 52, 'the bytes after the header are not part of it');
  assert.deepEqual(r?.info, { kind: 'proxy', remoteAddress: '192.0.2.9', localAddress: '2001:db8::25', remotePort: 40000, localPort: 25 });
});
