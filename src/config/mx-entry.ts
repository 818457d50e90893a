import { isIP } from 'node:net';
import { parseAddressLiteral } from './address-literal.js';
import type { MxEntry } from './generated/queues.js';
import { parseHostPort } from './values.js';

/** One smarthost of an explicit route. */
export interface MxListEntry {
  /** host name (or the address itself for `[ip]` entries); also the TLS server name */
  readonly name: string;
  /** connect to this address instead of resolving `name` */
  readonly addr?: string;
  readonly port?: number;
}

/**
 * `"mx.example.com"`, `"mx.example.com:2525"`, `"[10.0.0.1]"`, `"[IPv6:::1]:25"`, or
 * `{name, addr, port}` where addr may carry the port (`"10.0.0.1:2025"`, as KumoMTA allows).
 */
export function parseMxEntry(e: MxEntry): MxListEntry {
  if (typeof e !== 'string') {
    if (e.addr === undefined) return { name: e.name.toLowerCase(), port: e.port };
    let addr = e.addr;
    let port = e.port;
    if (!isIP(addr)) {
      const lit = parseAddressLiteral(addr);
      const hp = lit ? { host: lit.addr, port: lit.port } : /:\d+$/.test(addr) ? parseHostPort(addr) : undefined;
      if (!hp || !isIP(hp.host)) throw new Error(`"${e.addr}" is not an IP address (or address:port)`);
      if (hp.port !== undefined && port !== undefined) throw new Error(`"${e.addr}" has a port and port is given as well`);
      addr = hp.host;
      port = hp.port ?? port;
      if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`invalid port in "${e.addr}"`);
    }
    return { name: e.name.toLowerCase(), addr, port };
  }
  const lit = parseAddressLiteral(e);
  if (lit) return { name: lit.addr, addr: lit.addr, port: lit.port };
  const hasPort = /:\d+$/.test(e) && e.indexOf(':') === e.lastIndexOf(':');
  const hp = parseHostPort(e.trim(), hasPort ? undefined : 0);
  if (hasPort && (hp.port < 1 || hp.port > 65535)) throw new Error(`invalid port in "${e}"`);
  return { name: hp.host.toLowerCase().replace(/\.$/, ''), addr: isIP(hp.host) ? hp.host : undefined, port: hasPort ? hp.port : undefined };
}
