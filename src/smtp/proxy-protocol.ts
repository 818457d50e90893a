import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/** The client a PROXY header names; `local` for a v2 LOCAL command or "PROXY UNKNOWN" (use the real peer). */
export type ProxyInfo =
  | { kind: 'proxy'; remoteAddress: string; remotePort: number; localAddress?: string; localPort?: number }
  | { kind: 'local' };

export class ProxyProtocolError extends Error {
  readonly code = 'PROXY_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'ProxyProtocolError';
  }
}

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;
const V2_MAX = 16 + 2048;

/**
 * Parses a complete PROXY header (v1 text or v2 binary) at the start of `buf`. Returns the
 * number of bytes it takes and what it says, `undefined` if more bytes are needed; throws
 * ProxyProtocolError for anything that is not a valid header.
 */
export function parseProxyHeader(buf: Buffer): { length: number; info: ProxyInfo } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] === 0x0d) {
    const n = Math.min(buf.length, 12);
    if (!buf.subarray(0, n).equals(V2_SIG.subarray(0, n))) throw new ProxyProtocolError('invalid PROXY v2 signature');
    if (buf.length < 16) return undefined;
    const verCmd = buf[12]!;
    if (verCmd >> 4 !== 2) throw new ProxyProtocolError(`unsupported PROXY version ${verCmd >> 4}`);
    const len = buf.readUInt16BE(14);
    if (16 + len > V2_MAX) throw new ProxyProtocolError('PROXY v2 header too long');
    if (buf.length < 16 + len) return undefined;
    const cmd = verCmd & 0x0f;
    const length = 16 + len;
    if (cmd === 0x0) return { length, info: { kind: 'local' } };
    if (cmd !== 0x1) throw new ProxyProtocolError(`unknown PROXY v2 command ${cmd}`);
    const fam = buf[13]!;
    const body = buf.subarray(16, 16 + len);
    if (fam === 0x11 || fam === 0x12) {
      if (len < 12) throw new ProxyProtocolError('PROXY v2 IPv4 address block too short');
      return {
        length,
        info: {
          kind: 'proxy',
          remoteAddress: [...body.subarray(0, 4)].join('.'),
          localAddress: [...body.subarray(4, 8)].join('.'),
          remotePort: body.readUInt16BE(8),
          localPort: body.readUInt16BE(10),
        },
      };
    }
    if (fam === 0x21 || fam === 0x22) {
      if (len < 36) throw new ProxyProtocolError('PROXY v2 IPv6 address block too short');
      return {
        length,
        info: {
          kind: 'proxy',
          remoteAddress: ipv6(body.subarray(0, 16)),
          localAddress: ipv6(body.subarray(16, 32)),
          remotePort: body.readUInt16BE(32),
          localPort: body.readUInt16BE(34),
        },
      };
    }
    // AF_UNSPEC or unix sockets: no usable address
    return { length, info: { kind: 'local' } };
  }
  // v1: "PROXY TCP4 src dst sport dport\r\n" or "PROXY UNKNOWN ...\r\n"
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    if (buf.length >= V1_MAX) throw new ProxyProtocolError('PROXY v1 header too long');
    if (!'PROXY '.startsWith(buf.subarray(0, Math.min(6, buf.length)).toString('latin1'))) throw new ProxyProtocolError('not a PROXY header');
    return undefined;
  }
  if (end + 2 > V1_MAX) throw new ProxyProtocolError('PROXY v1 header too long');
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[0] !== 'PROXY') throw new ProxyProtocolError('not a PROXY header');
  if (parts[1] === 'UNKNOWN') return { length: end + 2, info: { kind: 'local' } };
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) throw new ProxyProtocolError('malformed PROXY v1 header');
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const fam = proto === 'TCP4' ? 4 : 6;
  const port = (p: string) => (/^\d{1,5}$/.test(p) && Number(p) <= 65535 ? Number(p) : NaN);
  if (isIP(src) !== fam || isIP(dst) !== fam || Number.isNaN(port(sport)) || Number.isNaN(port(dport)))
    throw new ProxyProtocolError('malformed PROXY v1 addresses');
  return { length: end + 2, info: { kind: 'proxy', remoteAddress: src, localAddress: dst, remotePort: port(sport), localPort: port(dport) } };
}

function ipv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // compress the longest run of zeros
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const s = best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(s);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return s;
}

/**
 * Reads the PROXY header from the start of a fresh connection; bytes after it are put back
 * (`unshift`) for the SMTP session. Rejects on timeout, a closed socket or an invalid header.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyInfo> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | null, info?: ProxyInfo) => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.removeListener('end', onClose);
      if (err) reject(err);
      else resolve(info!);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        let parsed: ReturnType<typeof parseProxyHeader>;
        try {
          parsed = parseProxyHeader(buf);
        } catch (e) {
          return done(e as Error);
        }
        if (parsed) {
          const rest = buf.subarray(parsed.length);
          if (rest.length) socket.unshift(rest);
          return done(null, parsed.info);
        }
      }
    };
    const onError = (e: Error) => done(e);
    const onClose = () => done(new ProxyProtocolError('connection closed before the PROXY header'));
    const timer = setTimeout(() => done(new ProxyProtocolError('timed out waiting for the PROXY header')), timeoutMs);
    timer.unref();
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('close', onClose);
    // the listener's sockets allow half-open: a client's FIN alone does not close them
    socket.on('end', onClose);
    onReadable();
  });
}
