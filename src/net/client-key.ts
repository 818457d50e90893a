import { isIPv4, isIPv6 } from 'node:net';

/** "::ffff:192.0.2.1" → "192.0.2.1"; anything else unchanged. */
export function unmapIpv4(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 tail included), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  if (!isIPv6(ip)) return undefined;
  let s = ip.replace(/%.*$/, ''); // zone index
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const parse = (p: string) => (p ? p.split(':').map((h) => parseInt(h, 16)) : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - h.length - t.length).fill(0);
  const groups = [...h, ...fill, ...t];
  return groups.length === 8 ? groups : undefined;
}

/**
 * The key a client address is counted under (per-IP connection caps, AUTH failures): an IPv4
 * address as is (IPv4-mapped IPv6 unmapped), an IPv6 address by its /64 ("2001:db8:1:2::/64"),
 * since one host or customer usually holds a whole /64 and can pick any address in it.
 */
export function clientKey(ip: string): string {
  const a = unmapIpv4(ip);
  if (isIPv4(a)) return a;
  const g = ipv6Groups(a);
  if (!g) return a;
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}
