import { isIP } from 'node:net';

/** An address literal: `[10.0.0.1]`, `[IPv6:::1]`, `[::1]`, with an optional port. */
export interface AddressLiteral {
  readonly addr: string;
  readonly port?: number;
}

/**
 * Parses an RFC 5321 address literal the way KumoMTA does: `[10.0.0.1]`, `[IPv6:2001:db8::1]`,
 * the untagged `[::1]` KumoMTA also accepts, and a port outside (`[10.0.0.1]:2025`) or inside
 * (`[10.0.0.1:2025]`) the brackets, not both. Returns undefined when `s` is not bracketed;
 * throws when it is bracketed but not a valid literal.
 */
export function parseAddressLiteral(s: string): AddressLiteral | undefined {
  const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(s.trim());
  if (!m) {
    if (s.trim().startsWith('[')) throw new Error(`"${s}" is a malformed address literal (expected "[address]" or "[address]:port")`);
    return undefined;
  }
  let inner = m[1].toLowerCase();
  let port = m[2] === undefined ? undefined : Number(m[2]);
  if (inner.startsWith('ipv6:')) inner = inner.slice(5);
  else if (!isIP(inner)) {
    // "[10.0.0.1:2025]": the port inside the brackets (IPv4 only; IPv6 has colons of its own)
    const inside = /^([0-9.]+):(\d+)$/.exec(inner);
    if (inside && isIP(inside[1]) === 4) {
      if (port !== undefined) throw new Error(`"${s}" gives a port both inside and outside the brackets`);
      inner = inside[1];
      port = Number(inside[2]);
    }
  }
  if (!isIP(inner)) throw new Error(`"${s}": "${m[1]}" is not an IP address`);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`"${s}": port must be 1-65535`);
  return port === undefined ? { addr: inner } : { addr: inner, port };
}
