/**
 * MTA-STS (RFC 8461) texts: the `_mta-sts.<domain>` TXT record and the policy file. Pure
 * parsing, so the fetcher, the cache and `explain` agree on what a policy says.
 */

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  readonly mode: StsMode;
  /** mx patterns, lower case (`mx.example.com`, `*.example.net`) */
  readonly mx: readonly string[];
  /** seconds */
  readonly maxAge: number;
  /** the policy's lines as served, for TLS-RPT `policy-string` */
  readonly lines: readonly string[];
}

export class StsParseError extends Error {
  readonly code = 'MTA_STS_POLICY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'StsParseError';
  }
}

/** RFC 8461 §3.1: `v=STSv1; id=<1-32 alphanumerics>;` — the id, or undefined when not an STS record. */
export function parseStsTxt(records: readonly string[]): { id: string } | { error: string } | undefined {
  const sts = records.filter((r) => /^v=STSv1\s*(;|$)/.test(r.trim()));
  if (!sts.length) return undefined;
  // more than one STS record: the RFC says treat as no policy record
  if (sts.length > 1) return { error: 'more than one v=STSv1 TXT record' };
  const fields = new Map<string, string>();
  for (const part of sts[0].split(';')) {
    const m = /^\s*([A-Za-z0-9_.-]+)=(.*?)\s*$/.exec(part);
    if (m) fields.set(m[1], m[2]);
  }
  const id = fields.get('id');
  if (!id || !/^[A-Za-z0-9]{1,32}$/.test(id)) return { error: `TXT record without a valid id: ${sts[0]}` };
  return { id };
}

/** RFC 8461 §3.2: `key: value` lines (CRLF or LF); version, mode, max_age required, mx for enforce/testing. */
export function parseStsPolicy(text: string): StsPolicy {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length);
  let version: string | undefined;
  let mode: string | undefined;
  let maxAge: number | undefined;
  const mx: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z0-9_]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new StsParseError(`policy line is not "key: value": ${line.slice(0, 80)}`);
    const [, key, value] = m;
    if (key === 'version') version = value;
    else if (key === 'mode') mode = value;
    else if (key === 'max_age') {
      if (!/^\d{1,10}$/.test(value)) throw new StsParseError(`max_age is not a number of seconds: ${value}`);
      maxAge = Math.min(Number(value), 31_557_600);
    } else if (key === 'mx') mx.push(value.toLowerCase().replace(/\.$/, ''));
    // unknown keys are ignored (RFC 8461 §3.2)
  }
  if (version !== 'STSv1') throw new StsParseError(`version is ${version === undefined ? 'missing' : `"${version}"`}, not STSv1`);
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') throw new StsParseError(`mode is ${mode === undefined ? 'missing' : `"${mode}"`} (enforce, testing or none)`);
  if (maxAge === undefined) throw new StsParseError('max_age is missing');
  if (mode !== 'none' && !mx.length) throw new StsParseError(`mode ${mode} without any mx pattern`);
  return { mode, mx, maxAge, lines };
}

/**
 * RFC 8461 §4.1: an mx pattern matches the MX host name exactly, or `*.suffix` matches one
 * label left of the suffix (never more, never the suffix itself).
 */
export function mxMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix)) return false;
  const left = h.slice(0, h.length - suffix.length);
  return left.length > 0 && !left.includes('.');
}

export function policyAllows(policy: Pick<StsPolicy, 'mx'>, host: string): boolean {
  return policy.mx.some((p) => mxMatches(p, host));
}
