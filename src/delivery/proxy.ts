import { connect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { HostPort } from '../config/values.js';
import { KeySourceError, loadKey } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';

/**
 * EPROXY: protocol failure or refusal; ETIMEDOUT; EPROXYAUTH: the SOCKS5 proxy rejected the
 * username/password or wants a method we cannot offer; EPROXYKEY: the password could not be loaded.
 */
export class ProxyError extends Error {
  constructor(message: string, readonly code = 'EPROXY') {
    super(message);
    this.name = 'ProxyError';
  }
}

/** Opens a TCP connection, resolving once it is established. */
function tcp(server: HostPort, timeoutMs: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: server.host, port: server.port, localAddress });
    const t = setTimeout(() => {
      /* c8 ignore next 2 -- a TCP connect on loopback never hangs: the timeout needs an unreachable network */
      s.destroy();
      reject(new ProxyError(`connecting to proxy ${server.host}:${server.port} timed out`, 'ETIMEDOUT'));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.removeAllListeners('error');
      // until nodemailer takes the socket over, an error must not be an uncaught exception
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** The PROXY protocol v2 header for a TCP stream from src to dst (same address family). */
export function proxyV2Header(src: string, dst: string, dstPort: number, srcPort = 0): Buffer {
  const fam = isIP(src);
  if (!fam || fam !== isIP(dst)) throw new ProxyError(`PROXY header needs two addresses of one family (${src}, ${dst})`);
  const addr = (a: string) =>
    fam === 4
      ? Buffer.from(a.split('.').map(Number))
      : Buffer.from(expand6(a).flatMap((h) => [h >> 8, h & 0xff]));
  const body = Buffer.concat([addr(src), addr(dst), Buffer.from([srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff])]);
  const head = Buffer.from([0x21, fam === 4 ? 0x11 : 0x21, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([SIG, head, body]);
}

function expand6(a: string): number[] {
  const [l, r] = a.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const left = part(l);
  const right = part(r);
  return a.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill(0), ...right] : left;
}

/** A connection to dst through HAProxy, which sends from `sourceAddress` (PROXY protocol v2). */
export async function connectViaHaProxy(server: HostPort, sourceAddress: string, dst: string, dstPort: number, timeoutMs: number): Promise<Socket> {
  const s = await tcp(server, timeoutMs);
  s.write(proxyV2Header(sourceAddress, dst, dstPort));
  return s;
}

export interface Socks5Auth {
  readonly username: string;
  readonly password: KeySourceSpec;
}

const METHOD_NAMES: Record<number, string> = { 0: 'no authentication', 1: 'GSSAPI', 2: 'username/password' };

/**
 * A connection to dst through a SOCKS5 proxy (RFC 1928 CONNECT). With `auth`, username/password
 * authentication (RFC 1929) is offered besides none, and used when the proxy picks it.
 */
export async function connectViaSocks5(server: HostPort, dst: string, dstPort: number, timeoutMs: number, auth?: Socks5Auth): Promise<Socket> {
  // the secret first: no connection is opened for a password that cannot be had
  const credentials = auth ? { username: Buffer.from(auth.username), password: await socksPassword(auth) } : undefined;
  const s = await tcp(server, timeoutMs);
  const where = `SOCKS5 proxy ${server.host}:${server.port}`;
  const read = (n: number) =>
    new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const t = setTimeout(() => fail(new ProxyError('SOCKS5 proxy did not answer', 'ETIMEDOUT')), timeoutMs);
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= n) {
          // paused before the rest goes back: in flowing mode it would be emitted to nobody
          cleanup();
          s.pause();
          if (buf.length > n) s.unshift(buf.subarray(n));
          resolve(buf.subarray(0, n));
        }
      };
      const fail = (e: Error) => {
        cleanup();
        s.destroy();
        reject(e);
      };
      const onClose = () => fail(new ProxyError('SOCKS5 proxy closed the connection'));
      const cleanup = () => {
        clearTimeout(t);
        s.off('data', onData);
        s.off('error', fail);
        s.off('close', onClose);
      };
      s.on('data', onData);
      s.once('error', fail);
      s.once('close', onClose);
      s.resume();
    });
  const methods = credentials ? [0, 2] : [0];
  s.write(Buffer.from([5, methods.length, ...methods]));
  const hello = await read(2);
  if (hello[0] !== 5) {
    s.destroy();
    throw new ProxyError(`${where} does not speak SOCKS5 (version ${hello[0]})`);
  }
  if (hello[1] === 2 && credentials) {
    const { username, password } = credentials;
    s.write(Buffer.concat([Buffer.from([1, username.length]), username, Buffer.from([password.length]), password]));
    const status = await read(2);
    if (status[1] !== 0) {
      s.destroy();
      throw new ProxyError(`${where} rejected the username/password of user "${auth!.username}" (RFC 1929 status ${status[1]})`, 'EPROXYAUTH');
    }
  } else if (hello[1] !== 0) {
    s.destroy();
    const offered = methods.map((m) => METHOD_NAMES[m]).join(', ');
    const wants = hello[1] === 0xff ? 'none of the offered authentication methods' : `method ${METHOD_NAMES[hello[1]] ?? hello[1]}, which was not offered`;
    throw new ProxyError(`${where} accepts ${wants} (offered: ${offered}${credentials ? '' : '; set socks5_proxy_username and socks5_proxy_password'})`, 'EPROXYAUTH');
  }
  const fam = isIP(dst);
  const addr = fam === 4 ? Buffer.from([1, ...dst.split('.').map(Number)]) : fam === 6 ? Buffer.from([4, ...expand6(dst).flatMap((h) => [h >> 8, h & 0xff])]) : Buffer.from([3, dst.length, ...Buffer.from(dst)]);
  s.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, Buffer.from([dstPort >> 8, dstPort & 0xff])]));
  const rep = await read(4);
  if (rep[1] !== 0) {
    s.destroy();
    throw new ProxyError(`SOCKS5 proxy refused the connection to ${dst}:${dstPort} (reply ${rep[1]})`);
  }
  const rest = rep[3] === 1 ? 4 + 2 : rep[3] === 4 ? 16 + 2 : (await read(1))[0] + 2;
  await read(rest);
  return s;
}

/** The password as RFC 1929 sends it: at most 255 bytes, a file's trailing newline dropped. */
async function socksPassword(auth: Socks5Auth): Promise<Buffer> {
  let pw: Buffer;
  try {
    pw = await loadKey(auth.password);
  } catch (e) {
    const why = e instanceof KeySourceError ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new ProxyError(`cannot load the SOCKS5 proxy password: ${why}`, 'EPROXYKEY');
  }
  const text = pw.toString('utf8').replace(/\r?\n$/, '');
  const out = Buffer.from(text);
  if (out.length < 1 || out.length > 255) throw new ProxyError(`the SOCKS5 proxy password must be 1 to 255 bytes (RFC 1929), not ${out.length}`, 'EPROXYKEY');
  return out;
}
