// dkim.toml in the format of KumoMTA's dkim_sign helper: [base], [domain."pattern"], [signature."name"].
import { DomainMap } from '../config/domain-map.js';
import type { Dkim, DkimBase, DkimDomain, DkimSignature } from '../config/generated/dkim.js';
import { describePath } from '../config/report.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseDuration } from '../config/values.js';
import { compileKeySource, DEFAULT_KEY_TTL_MS, vaultKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import { Layers } from './layers.js';
import type { Found } from './layers.js';

export type Canonicalization = 'relaxed' | 'simple';
export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/**
 * Where a block's private key comes from. Blocks without an explicit key use KumoMTA's default
 * naming `<dir or vault prefix>/<domain>/<selector>.key`, which depends on the signing domain
 * (a wildcard block signs many), so those stay templates until signing time.
 */
export type DkimKeyRef =
  | { readonly kind: 'source'; readonly spec: KeySourceSpec }
  | { readonly kind: 'file-dir'; /** absolute */ readonly dir: string }
  | {
      readonly kind: 'vault-prefix';
      readonly mount: string;
      readonly prefix: string;
      readonly key: string;
      readonly address?: string;
      readonly token?: string;
      readonly ttlMs: number;
    };

export interface DkimSigningParams {
  readonly selector: string;
  /** header field names to sign, as configured */
  readonly headers: readonly string[];
  readonly headerCanonicalization: Canonicalization;
  readonly bodyCanonicalization: Canonicalization;
  readonly overSign: boolean;
  /** signature lifetime (x=), absent: none */
  readonly expirationMs?: number;
  readonly algorithm: DkimAlgorithm;
  readonly key: DkimKeyRef;
  /** what a key that cannot be loaded does to the message */
  readonly onKeyError: 'defer' | 'unsigned';
  /** `dkim.toml domain."example.com"`, for log lines */
  readonly where: string;
}

export interface DkimDomainBlock extends DkimSigningParams {
  readonly pattern: string;
}

export interface DkimSignatureBlock extends DkimSigningParams {
  readonly name: string;
  /** the signing domain (d=); absent: the From header's domain */
  readonly domain?: string;
  readonly policy: 'Always' | 'OnlyIfMissingDomainBlock';
}

export interface DkimConfig {
  /** false when there is nothing to sign with (no file, or no blocks) */
  readonly enabled: boolean;
  /** domain blocks by From-header domain (exact, `*.suffix`, `*`) */
  readonly domains: DomainMap<DkimDomainBlock>;
  /** base.additional_signatures, in order */
  readonly signatures: readonly DkimSignatureBlock[];
}

/** RFC 6376 §5.4.1's recommended set, plus the MIME headers that change how the body is read. */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  'From', 'Reply-To', 'Subject', 'Date', 'To', 'Cc', 'Message-ID',
  'Resent-Date', 'Resent-From', 'Resent-To', 'Resent-Cc', 'In-Reply-To', 'References',
  'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Subscribe', 'List-Post', 'List-Owner', 'List-Archive',
  'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding',
];

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, 'i');
const HEADER_NAME_RE = /^[\x21-\x39\x3b-\x7e]+$/;

type BlockRaw = DkimDomain & DkimSignature;

/**
 * A key that `kumo-ts validate` loads and parses, as KumoMTA's validation signs a test message
 * per domain block: where the key is named (for the error position) and what it must be.
 */
export interface DkimKeyCheck {
  readonly file: SourceFile;
  readonly path: KeyPath;
  /** `domain."example.com"` */
  readonly where: string;
  readonly key: DkimKeyRef;
  /** the domain and selector a template key is named by */
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
}

/**
 * Compiles the dkim files. `checks`, when given, receives every key that can be named before a
 * message is seen (explicit keys, and templates of blocks for one exact domain), for a test load.
 */
export function compileDkim(files: SourceFile[], root: string, r: Reporter, checks?: DkimKeyCheck[]): DkimConfig {
  const base = new Layers<DkimBase>();
  const domains = new Map<string, { pattern: string; layers: Layers<DkimDomain> }>();
  const sigs = new Map<string, Layers<DkimSignature>>();
  // Later files override earlier ones key by key, as KumoMTA's helper merges its data files.
  for (const file of files) {
    const data = (file.data ?? {}) as Dkim;
    if (data.base) base.add(file, ['base'], data.base);
    for (const [pattern, block] of Object.entries(data.domain ?? {})) {
      const k = pattern.toLowerCase().replace(/\.$/, '');
      const entry = domains.get(k) ?? { pattern, layers: new Layers<DkimDomain>() };
      if (!domains.has(k) && !validPattern(pattern))
        r.error(file, ['domain', pattern], 'value.dkim-domain', `domain."${pattern}": expected a domain name, "*.suffix" or "*"`, 'key');
      entry.layers.add(file, ['domain', pattern], block);
      domains.set(k, entry);
    }
    for (const [name, block] of Object.entries(data.signature ?? {})) {
      const layers = sigs.get(name) ?? new Layers<DkimSignature>();
      layers.add(file, ['signature', name], block);
      sigs.set(name, layers);
    }
  }

  const ctx: BlockContext = { base, root, r, checks };
  const domainBlocks: [string, DkimDomainBlock][] = [];
  for (const { pattern, layers } of domains.values()) {
    const params = compileBlock(ctx, layers as Layers<BlockRaw>, `domain."${pattern}"`, validPattern(pattern) && !pattern.includes('*') ? pattern.toLowerCase().replace(/\.$/, '') : undefined);
    const policy = layers.get('policy') ?? base.get('policy');
    if (policy && (policy.value === 'TempFailIfNotInDNS' || policy.value === 'SignOnlyIfInDNS'))
      r.warn(policy.file, policy.path, 'dkim.policy-ignored',
        `${describePath(policy.path)} = "${policy.value}" (for domain."${pattern}"): DNS-based policies are not checked; the message is signed (as KumoMTA's helper does)`, 'value');
    if (params) domainBlocks.push([pattern, { pattern, ...params }]);
  }

  const signatures: DkimSignatureBlock[] = [];
  const listed = base.get('additional_signatures');
  const used = new Set<string>();
  for (const [i, name] of (listed?.value ?? []).entries()) {
    const layers = sigs.get(name);
    if (!layers) {
      const known = [...sigs.keys()];
      r.error(listed!.file, [...listed!.path, i], 'ref.unknown-dkim-block',
        `base.additional_signatures[${i}]: no [signature."${name}"] block${known.length ? ` (defined: ${known.map((k) => `"${k}"`).join(', ')})` : ''}`);
      continue;
    }
    if (used.has(name)) continue;
    used.add(name);
    const domain = layers.get('domain');
    const params = compileBlock(ctx, layers as Layers<BlockRaw>, `signature."${name}"`, domain && DOMAIN_RE.test(domain.value) ? domain.value.toLowerCase().replace(/\.$/, '') : undefined);
    if (domain && !DOMAIN_RE.test(domain.value))
      r.error(domain.file, domain.path, 'value.dkim-domain', `signature."${name}".domain: "${domain.value}" is not a domain name`);
    if (params)
      signatures.push({
        name, ...params,
        ...(domain ? { domain: domain.value.toLowerCase().replace(/\.$/, '') } : {}),
        policy: layers.get('policy')?.value ?? 'Always',
      });
  }
  for (const [name, layers] of sigs) {
    if (used.has(name)) continue;
    const first = layers.first();
    r.warn(first.file, first.path, 'dkim.unused-signature',
      `signature."${name}" is not listed in base.additional_signatures, so it is never applied`);
  }

  return {
    enabled: domainBlocks.length > 0 || signatures.length > 0,
    domains: new DomainMap(domainBlocks),
    signatures,
  };
}

function canon(v: string | undefined): Canonicalization {
  return v?.toLowerCase() === 'simple' ? 'simple' : 'relaxed';
}

function validPattern(p: string): boolean {
  if (p === '*') return true;
  return DOMAIN_RE.test(p.startsWith('*.') ? p.slice(2) : p);
}

interface BlockContext {
  base: Layers<DkimBase>;
  root: string;
  r: Reporter;
  checks?: DkimKeyCheck[];
}

/** Resolves one block's settings over [base] and the defaults; undefined when an error was reported. */
function compileBlock(ctx: BlockContext, layers: Layers<BlockRaw>, where: string, signingDomain: string | undefined): DkimSigningParams | undefined {
  const { base, r } = ctx;
  const errors = r.errorCount;
  const pick = <K extends keyof BlockRaw & keyof DkimBase>(k: K): Found<BlockRaw[K]> | Found<DkimBase[K]> | undefined =>
    layers.get(k) ?? base.get(k);

  const sel = pick('selector');
  if (!sel) {
    const first = layers.first();
    r.error(first.file, first.path, 'value.dkim-selector', `${where}: no selector, and base.selector is not set`, 'key');
  } else if (!DOMAIN_RE.test(sel.value as string)) {
    r.error(sel.file, sel.path, 'value.dkim-selector', `${where}: selector "${sel.value}" is not a valid DNS name`);
  }

  const hdrs = pick('headers');
  const headers = (hdrs?.value as string[] | undefined) ?? DEFAULT_SIGNED_HEADERS;
  if (hdrs) {
    for (const [i, h] of headers.entries())
      if (!HEADER_NAME_RE.test(h)) r.error(hdrs.file, [...hdrs.path, i], 'value.dkim-headers', `${where}: "${h}" is not a header field name`);
    if (!headers.some((h) => h.toLowerCase() === 'from'))
      r.error(hdrs.file, hdrs.path, 'value.dkim-headers', `${where}: headers must include "From" (RFC 6376 §5.4)`);
  }

  let expirationMs: number | undefined;
  const exp = pick('expiration');
  if (exp) {
    expirationMs = r.parse(exp.file, exp.path, 'value.duration', () => parseDuration(exp.value as string | number));
    if (expirationMs !== undefined && expirationMs < 1000)
      r.error(exp.file, exp.path, 'value.duration', `${where}: expiration must be at least 1 second`);
  }

  let ttlMs = DEFAULT_KEY_TTL_MS;
  const ttl = pick('ttl');
  if (ttl) ttlMs = r.parse(ttl.file, ttl.path, 'value.duration', () => parseDuration(ttl.value as string | number)) ?? ttlMs;

  const keyAt = compileKeyRef(ctx, layers, ttlMs);
  const key = keyAt?.ref;
  if (r.errorCount > errors || !sel || !key) return undefined;
  const algorithm: DkimAlgorithm = pick('algo')?.value === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  // a template names its key once the signing domain is known: for one exact domain, now
  if (ctx.checks && (key.kind === 'source' || signingDomain !== undefined))
    ctx.checks.push({ ...keyAt.at, where, key, domain: signingDomain ?? '', selector: (sel.value as string).toLowerCase(), algorithm });
  return {
    selector: (sel.value as string).toLowerCase(),
    headers,
    // KumoMTA spells them "Relaxed" / "Simple"
    headerCanonicalization: canon(pick('header_canonicalization')?.value as string | undefined),
    bodyCanonicalization: canon(pick('body_canonicalization')?.value as string | undefined),
    overSign: (pick('over_sign')?.value as boolean | undefined) ?? false,
    ...(expirationMs !== undefined ? { expirationMs } : {}),
    algorithm,
    key,
    onKeyError: pick('on_key_error')?.value === 'SendUnsigned' ? 'unsigned' : 'defer',
    where: `${layers.first().file.name} ${where}`,
  };
}

/** `key` (any key source) wins over `filename`, which wins over KumoMTA's default naming. */
type KeyAt = { ref: DkimKeyRef; at: { file: SourceFile; path: KeyPath } };

function compileKeyRef(ctx: BlockContext, layers: Layers<BlockRaw>, ttlMs: number): KeyAt | undefined {
  const { base, root, r } = ctx;
  const key = layers.get('key');
  if (key) {
    const spec = compileKeySource(key.file, key.path, key.value, root, r);
    if (!spec) return undefined;
    // the block's ttl applies to a Vault key that does not set its own
    const at = { file: key.file, path: key.path };
    if (spec.kind === 'vault' && typeof key.value === 'object' && key.value.ttl === undefined) return { ref: { kind: 'source', spec: { ...spec, ttlMs } }, at };
    return { ref: { kind: 'source', spec }, at };
  }
  const mount = base.get('vault_mount')?.value;
  const vault = {
    key: base.get('vault_key')?.value ?? 'key',
    ...optional('address', base.get('vault_address')?.value),
    ...optional('token', base.get('vault_token')?.value),
    ttlMs,
  };
  const filename = layers.get('filename');
  if (filename) {
    if (!filename.value.trim()) {
      r.error(filename.file, filename.path, 'value.key-source', `${describePath(filename.path)}: filename must not be empty`);
      return undefined;
    }
    const at = { file: filename.file, path: filename.path };
    if (mount !== undefined) return { ref: { kind: 'source', spec: vaultKeySource({ mount, path: filename.value, ...vault }) }, at };
    const spec = compileKeySource(filename.file, filename.path, filename.value, root, r);
    return spec && { ref: { kind: 'source', spec }, at };
  }
  const mountAt = base.get('vault_mount');
  if (mount !== undefined) return { ref: { kind: 'vault-prefix', mount, prefix: (base.get('vault_path_prefix')?.value ?? 'dkim').replace(/\/+$/, ''), ...vault }, at: { file: mountAt!.file, path: mountAt!.path } };
  const dir = base.get('key_dir')?.value ?? 'dkim';
  const spec = compileKeySource(layers.first().file, layers.first().path, dir, root, r);
  return spec?.kind === 'file' ? { ref: { kind: 'file-dir', dir: spec.path }, at: layers.first() } : undefined;
}

function optional<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}
