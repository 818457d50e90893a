import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import packet from 'dns-packet';
import type { Answer } from 'dns-packet';
import type { HostPort } from '../config/values.js';
import { DnsError } from '../dns/resolver.js';
import type { TlsaRecord } from '../dns/resolver.js';

/** One answer of a validating resolver: the records and whether it vouched for them (AD). */
export interface SecureAnswer<T> {
  readonly records: T[];
  /** the AD bit: the resolver validated the answer with DNSSEC (the whole CNAME chain too) */
  readonly secure: boolean;
  /** the name the records are at, after the CNAME chain of the answer (lower case, no dot) */
  readonly name: string;
}

/** Longest CNAME chain followed within one answer. */
const MAX_CNAMES = 8;

/** The end of the CNAME chain from `name` among the answer's records. */
function expand(answers: readonly Answer[], name: string): string {
  const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');
  let at = norm(name);
  for (let i = 0; i < MAX_CNAMES; i++) {
    const c = answers.find((a) => a.type === 'CNAME' && norm(a.name) === at);
    if (!c) break;
    at = norm(String((c as { data: unknown }).data));
  }
  return at;
}

/** AD in the header of a query: asks for the AD bit in the answer (RFC 6840 §5.7). */
const AD_FLAG = 1 << 5;

/**
 * A stub client of DNSSEC-validating resolvers (node:dns can neither set DO nor read AD nor
 * ask for TLSA): queries with DO and AD over UDP, retried over TCP when truncated, and trusts
 * the resolver's AD bit as Postfix does — so the resolver must be local or on a trusted path.
 * A CNAME chain in an answer is followed to the records at its end (`name`; RFC 7672 §2.2.2).
 * NXDOMAIN and NODATA are answers (with their own AD bit); SERVFAIL (which a validating
 * resolver returns for bogus data), REFUSED and timeouts throw DnsError.
 */
export class DnssecClient {
  constructor(
    private readonly servers: readonly HostPort[],
    private readonly timeoutMs = 5_000,
  ) {}

  async query(name: string, type: 'MX' | 'A' | 'AAAA' | 'TLSA' | 'TXT'): Promise<SecureAnswer<Answer>> {
    if (!this.servers.length) throw new DnsError('REFUSED', name, `${name}: no DNSSEC-validating resolver configured`);
    let last: DnsError | undefined;
    for (const server of this.servers) {
      try {
        const res = await this.ask(server, name, type);
        const rcode = res.rcode ?? 'NOERROR';
        const secure = res.flag_ad === true;
        // a CNAME'd name: the resolver chased the chain, the records are at its end
        const at = expand(res.answers ?? [], name);
        if (rcode === 'NXDOMAIN') return { records: [], secure, name: at };
        if (rcode !== 'NOERROR') {
          last = new DnsError(rcode === 'REFUSED' ? 'REFUSED' : 'SERVFAIL', name, `${name} ${type}: ${rcode} from ${server.host}:${server.port}`);
          continue;
        }
        const records = (res.answers ?? []).filter((a) => a.type === type && a.name.toLowerCase().replace(/\.$/, '') === at);
        return { records, secure, name: at };
      } catch (e) {
        last = e instanceof DnsError ? e : new DnsError('TIMEOUT', name, `${name} ${type}: ${(e as Error).message}`);
      }
    }
    throw last!;
  }

  async tlsa(name: string): Promise<SecureAnswer<TlsaRecord>> {
    const a = await this.query(name, 'TLSA');
    return {
      secure: a.secure,
      name: a.name,
      records: a.records.map((r) => {
        const d = (r as unknown as { data: unknown }).data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
        return { usage: d.usage, selector: d.selector, matchingType: d.matchingType, data: Buffer.from(d.certificate) };
      }),
    };
  }

  private message(name: string, type: string): Buffer {
    return packet.encode({
      type: 'query',
      id: randomInt(0, 65536),
      flags: packet.RECURSION_DESIRED | AD_FLAG,
      questions: [{ type: type as 'A', name }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: packet.DNSSEC_OK } as never],
    });
  }

  private async ask(server: HostPort, name: string, type: string): Promise<packet.Packet & { rcode?: string; flag_ad?: boolean; flag_tc?: boolean }> {
    const udp = await this.udp(server, this.message(name, type));
    if (!udp.flag_tc) return udp;
    return this.tcp(server, this.message(name, type));
  }

  private udp(server: HostPort, msg: Buffer): Promise<packet.Packet & { rcode?: string; flag_ad?: boolean; flag_tc?: boolean }> {
    const id = msg.readUInt16BE(0);
    return new Promise((resolve, reject) => {
      const sock = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
      const t = setTimeout(() => finish(new Error(`no answer from ${server.host}:${server.port} within ${this.timeoutMs} ms`)), this.timeoutMs);
      const finish = (err: Error | null, res?: packet.Packet) => {
        clearTimeout(t);
        sock.close();
        if (err) reject(err);
        else resolve(res as never);
      };
      sock.on('error', (e) => finish(e));
      sock.on('message', (buf) => {
        try {
          const res = packet.decode(buf);
          if (res.id === id) finish(null, res);
        } catch {
          /* not a DNS answer: wait for the real one */
        }
      });
      sock.send(msg, server.port, server.host);
    });
  }

  private tcp(server: HostPort, msg: Buffer): Promise<packet.Packet & { rcode?: string; flag_ad?: boolean }> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: server.host, port: server.port });
      let buf = Buffer.alloc(0);
      const t = setTimeout(() => finish(new Error(`no TCP answer from ${server.host}:${server.port} within ${this.timeoutMs} ms`)), this.timeoutMs);
      const finish = (err: Error | null, res?: packet.Packet) => {
        clearTimeout(t);
        sock.destroy();
        if (err) reject(err);
        else resolve(res as never);
      };
      sock.on('error', (e) => finish(e));
      sock.on('connect', () => sock.write(packet.streamEncode(packet.decode(msg))));
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          try {
            finish(null, packet.streamDecode(buf));
          } catch (e) {
            finish(e as Error);
          }
        }
      });
    });
  }
}
