import type { KeyPath, SourceFile } from '../config/source-file.js';

/**
 * Where a compiled value came from: file (index into ShapingConfig.sources), key path, block
 * label. The path is kept as the block's own path (shared by all its settings) plus the
 * parameter's key and, in a map parameter, its entry: a 10,000-domain file has ~50,000
 * settings, and a path array each was a quarter of the snapshot's objects to build and freeze.
 */
export interface Origin {
  readonly file: number;
  /** the block's key path (the whole path when `key` is absent) */
  readonly base: KeyPath;
  readonly key?: string;
  /** the entry of a map parameter (`additional_connection_limits.<entry>`) */
  readonly entry?: string;
  /** human label of the block, e.g. `default`, `provider "google"`, `"foo.com" source "IP-1"` */
  readonly block: string;
}

/** An Origin's key path in its file. */
export function originPath(o: Origin): KeyPath {
  if (o.key === undefined) return o.base;
  return o.entry === undefined ? [...o.base, o.key] : [...o.base, o.key, o.entry];
}

/** One compiled value with the place that set it (for `kumo-ts explain`). */
export interface Setting {
  /** parsed value (Throttle, LimitSpec, ms, CidrSet, ...) */
  readonly value: unknown;
  /** as written in the file */
  readonly raw: unknown;
  readonly at: Origin;
}

/**
 * Settings of one block, by parameter name. Entries of the `additional_*` maps are kept as
 * `additional_connection_limits.<name>` so that layers merge them entry by entry.
 */
export type Layer = ReadonlyMap<string, Setting>;

/** A connection count limit (`connection_limit = "local:5"`). */
export interface LimitSpec {
  readonly spec: string;
  readonly limit: number;
  readonly local: boolean;
}

export type TriggerSpec =
  | { readonly kind: 'Immediate' }
  | { readonly kind: 'Threshold'; readonly spec: string; readonly limit: number; readonly periodMs: number };

export type SimpleActionKind = 'Suspend' | 'SuspendTenant' | 'SuspendCampaign' | 'Bounce' | 'BounceTenant' | 'BounceCampaign';
export type AutomationAction =
  | { readonly kind: SimpleActionKind }
  | {
      readonly kind: 'SetConfig' | 'SetDomainConfig';
      readonly name: string;
      readonly raw: unknown;
    };

/** Where an automation rule was declared; decides which paths it watches and what it scopes. */
export type RuleScope = 'default' | 'provider' | 'site' | 'domain';

export interface AutomationRule {
  /** stable across reloads while the rule is unchanged (keys thresholds and persisted effects) */
  readonly id: string;
  readonly scope: RuleScope;
  /** the block's name: provider name, site name, or domain */
  readonly owner: string;
  /** KumoMTA's rollup flag: default and site rules act on the site, others on the domain */
  readonly rollup: boolean;
  readonly regex: readonly RegExp[];
  readonly regexSource: readonly string[];
  /** bounce classifications the response must have (kumo-ts extension; empty: any) */
  readonly classifications: readonly string[];
  readonly actions: readonly AutomationAction[];
  readonly trigger: TriggerSpec;
  readonly durationMs: number;
  readonly matchInternal: boolean;
  readonly at: Origin;
}

export interface ShapingBlock {
  readonly name: string;
  readonly label: string;
  readonly params: Layer;
  readonly sources: ReadonlyMap<string, Layer>;
  readonly automation: readonly AutomationRule[];
}

export interface SiteBlock extends ShapingBlock {
  /** the domain blocks that rolled up into this site, in load order */
  readonly domains: readonly string[];
}

export type ProviderMatch =
  | { readonly kind: 'MXSuffix'; readonly value: string }
  | { readonly kind: 'DomainSuffix'; readonly value: string }
  | { readonly kind: 'HostName'; readonly value: string };

export interface ProviderBlock extends ShapingBlock {
  /** where the provider was first declared */
  readonly at: Origin;
  readonly matches: readonly ProviderMatch[];
  /** LimitSpec, shared by every site of the provider (per egress source) */
  readonly connectionLimit?: Setting;
  /** Throttle, shared by every site of the provider (per egress source) */
  readonly maxMessageRate?: Setting;
  /** Throttle: source selection across the provider (per egress source) */
  readonly sourceSelectionRate?: Setting;
}

export type CheckLevel = 'Ignore' | 'Warn' | 'Error';

/** How each load finding is reported (main file `[shaping]`). */
export interface ShapingChecks {
  readonly dns_fail: CheckLevel;
  readonly null_mx: CheckLevel;
  readonly provider_overlap: CheckLevel;
  readonly aliased_site: CheckLevel;
}

export const DEFAULT_CHECKS: ShapingChecks = Object.freeze({
  dns_fail: 'Warn',
  null_mx: 'Warn',
  provider_overlap: 'Ignore',
  aliased_site: 'Warn',
});

/** The compiled, layered shaping files. Plain data: the snapshot deep-freezes it. */
export interface ShapingConfig {
  /** the shaping files, in layer order */
  readonly files: readonly string[];
  readonly sources: ShapingSources;
  readonly default: ShapingBlock;
  /** rollup domain blocks, by MX site name */
  readonly bySite: ReadonlyMap<string, SiteBlock>;
  /** `mx_rollup = false` domain blocks, by lower-case domain */
  readonly byDomain: ReadonlyMap<string, ShapingBlock>;
  /** rollup domain → the site its block applies to */
  readonly siteOfDomain: ReadonlyMap<string, string>;
  readonly providers: readonly ProviderBlock[];
  readonly checks: ShapingChecks;
  /** file keeping automation suspensions and overrides across restarts */
  readonly automationStatePath: string;
  /** rollup blocks that were skipped (DNS failure, null MX), for explain */
  readonly skipped: ReadonlyMap<string, string>;
  /** raw counts over all files, before layering */
  readonly stats: {
    readonly files: number;
    readonly defaultBlocks: number;
    readonly domainBlocks: number;
    readonly providers: number;
    readonly automationRules: number;
  };
}

/**
 * Turns an Origin into file:line:col on demand. Line numbers are computed only when asked
 * (`kumo-ts explain`), so a valid config costs no position index. The parsed files are kept
 * in a private field, out of reach of the snapshot's deep freeze.
 */
export class ShapingSources {
  readonly names: readonly string[];
  readonly #files: readonly SourceFile[];
  constructor(files: readonly SourceFile[]) {
    this.#files = files;
    this.names = files.map((f) => f.name);
  }
  locate(o: Origin): { file: string; line: number; col: number } {
    const f = this.#files[o.file];
    if (!f) return { file: '(automation)', line: 0, col: 0 };
    const p = f.locate(originPath(o), 'key');
    return { file: f.name, line: p.line, col: p.col };
  }
}
