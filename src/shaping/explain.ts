import type { Snapshot } from '../config/snapshot.js';
import type { AutomationEntry, AutomationState } from './automation-state.js';
import { displayValue } from './param-values.js';
import { notActedReason } from './not-acted.js';
import { resolvePath } from './resolve.js';
import type { EffectiveShaping, ShapingQuery } from './types.js';

/** One effective value and where it came from. */
export interface ExplainedValue {
  readonly name: string;
  /** as written (JSON text) */
  readonly value: string;
  /** file:line:col that set it; absent for defaults and automation overrides */
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  /** the block that set it, `(default)` for built-in defaults, `automation` for overrides */
  readonly block: string;
  readonly automation?: AutomationEntry;
  /** parsed, but kumo-ts does not act on it yet (src/shaping/not-acted.ts) */
  readonly notActed?: true;
  /** why not */
  readonly notActedReason?: string;
}

export interface ExplainedRule {
  readonly where: string;
  readonly block: string;
  readonly regex: readonly string[];
  readonly bounce_classification?: readonly string[];
  readonly actions: readonly string[];
  readonly trigger: string;
  readonly duration_ms: number;
}

export interface ShapingExplanation {
  readonly domain: string;
  readonly source: string;
  readonly site: string;
  /** the MX rollup name, when the site is not it (an `mx_rollup = false` domain is its own site) */
  readonly mxSite?: string;
  /** the ready queue name the path's mail goes through (set by the caller that knows it) */
  readonly readyQueue?: string;
  readonly mxHosts: readonly string[];
  readonly providers: readonly string[];
  /** blocks applied, in order (later wins) */
  readonly layers: readonly string[];
  readonly values: readonly ExplainedValue[];
  readonly rules: readonly ExplainedRule[];
  readonly overrides: readonly AutomationEntry[];
  readonly suspended?: AutomationEntry;
  readonly bounce?: AutomationEntry;
  /** a rollup block for this domain was skipped at load (why) */
  readonly skipped?: string;
  readonly effective: EffectiveShaping;
}

/** Built-in values shown when no file sets them (KumoMTA's defaults, as written in a file). */
const DEFAULTS: [string, unknown][] = [
  ['connection_limit', 32],
  ['max_connection_rate', undefined],
  ['max_message_rate', undefined],
  ['max_deliveries_per_connection', 1024],
  ['max_ready', 1024],
  ['enable_tls', 'Opportunistic'],
  ['enable_mta_sts', true],
  ['enable_dane', false],
  ['smtp_port', 25],
  ['consecutive_connection_failures_before_delay', 100],
  ['idle_timeout', '60s'],
  ['connect_timeout', '60s'],
  ['banner_timeout', '60s'],
  ['ehlo_timeout', '5m'],
  ['mail_from_timeout', '5m'],
  ['rcpt_to_timeout', '5m'],
  ['data_timeout', '5m'],
  ['data_dot_timeout', '5m'],
  ['starttls_timeout', '5s'],
];

/** The explain variant of resolveShaping: each value with its origin, the matches, automation. */
export function explainShaping(snapshot: Snapshot, q: ShapingQuery & { tenant?: string; campaign?: string }, automation?: AutomationState): ShapingExplanation {
  const shaping = snapshot.shaping;
  const path = resolvePath(shaping, q, automation);
  const values: ExplainedValue[] = [];
  const seen = new Set<string>();
  for (const [name, s] of path.merged) {
    seen.add(name);
    if (s.override) {
      values.push({ name, value: displayValue(s.raw), block: 'automation', automation: s.override });
      continue;
    }
    const loc = s.at ? shaping.sources.locate(s.at) : undefined;
    values.push({ name, value: displayValue(s.raw), block: s.at?.block ?? '?', ...(loc ? { file: loc.file, line: loc.line, col: loc.col } : {}) });
  }
  for (const [name, v] of DEFAULTS) {
    if (seen.has(name)) continue;
    values.push({ name, value: v === undefined ? '(no limit)' : displayValue(v), block: '(default)' });
  }
  for (const [i, v] of values.entries()) {
    // the provider name a [provider] block gives its paths is acted on (log records, metrics);
    // only one written in a block is not
    if (v.name === 'provider_name' && path.providers.length && v.value === JSON.stringify(path.providers[0].name)) continue;
    const reason = notActedReason(v.name);
    if (reason) values[i] = { ...v, notActed: true, notActedReason: reason };
  }
  const order = new Map(DEFAULTS.map(([n], i) => [n, i]));
  values.sort((a, b) => (order.get(a.name) ?? 1000) - (order.get(b.name) ?? 1000) || a.name.localeCompare(b.name));
  const rules: ExplainedRule[] = path.rules.map((r) => {
    const loc = shaping.sources.locate(r.at);
    return {
      where: `${loc.file}:${loc.line}`,
      block: r.at.block,
      regex: r.regexSource,
      ...(r.classifications.length ? { bounce_classification: r.classifications } : {}),
      actions: r.actions.map((a) => ('name' in a ? `${a.kind} ${a.name} = ${displayValue(a.raw)}` : a.kind)),
      trigger: r.trigger.kind === 'Threshold' ? `Threshold ${r.trigger.spec}` : 'Immediate',
      duration_ms: r.durationMs,
    };
  });
  const pq = { ...q, domain: q.domain.toLowerCase() };
  const suspended = automation?.suspensionFor(pq);
  const bounce = automation?.bounceFor(pq);
  const skipped = shaping.skipped.get(pq.domain);
  return {
    domain: pq.domain,
    source: q.source,
    site: q.site,
    ...(q.mxSite !== undefined ? { mxSite: q.mxSite } : {}),
    mxHosts: q.mxHosts,
    providers: path.providers.map((p) => p.name),
    layers: path.layers,
    values,
    rules,
    overrides: path.overrides,
    ...(suspended ? { suspended } : {}),
    ...(bounce ? { bounce } : {}),
    ...(skipped ? { skipped } : {}),
    effective: path.effective,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Marks a value that is parsed but not acted on yet (followed by the reason). */
export const NOT_ACTED_MARK = '(not acted on yet';

/** Human-readable form for `kumo-ts explain`; `route` lines (the queue, pool, hosts) go before the values. */
export function formatExplanation(e: ShapingExplanation, note?: string, route?: readonly string[]): string {
  const out: string[] = [];
  out.push(`${e.domain} via egress source "${e.source}"`);
  const own = e.site.startsWith('mx_list:') ? 'smarthosts (mx_list)' : 'own site (mx_rollup = false)';
  const mx = [...(e.mxSite !== undefined ? [`${own}, MX rollup ${e.mxSite}`] : []), ...(e.mxHosts.length ? [`MX: ${e.mxHosts.join(', ')}`] : [])];
  out.push(`  site:      ${e.site}${mx.length ? `  (${mx.join('; ')})` : ''}`);
  if (e.readyQueue) out.push(`  ready q:   ${e.readyQueue}`);
  if (note) out.push(`  note:      ${note}`);
  out.push(`  providers: ${e.providers.length ? e.providers.join(', ') : '(none)'}`);
  out.push(`  layers:    ${e.layers.length ? e.layers.join(' → ') : '(built-in defaults only)'}`);
  if (e.skipped) out.push(`  warning:   the rollup block for ${e.domain} was skipped at load: ${e.skipped}`);
  if (route?.length) out.push('', ...route);
  out.push('', 'shaping:');
  const w = Math.max(...e.values.map((v) => v.name.length));
  const vw = Math.min(28, Math.max(...e.values.map((v) => v.value.length)));
  for (const v of e.values) {
    const where = v.automation
      ? `automation until ${iso(v.automation.until)} (${v.automation.rule.block})`
      : v.file ? `${v.file}:${v.line}  ${v.block}` : v.block;
    out.push(`  ${v.name.padEnd(w)}  ${v.value.padEnd(vw)}  ${where}${v.notActed ? `  ${NOT_ACTED_MARK}: ${v.notActedReason})` : ''}`);
  }
  if (e.rules.length) {
    out.push('', 'automation rules watching this path:');
    for (const r of e.rules) {
      const match = [r.regex.length ? `/${r.regex.join('/ or /')}/` : '', r.bounce_classification ? `classified ${r.bounce_classification.join(' or ')}` : ''].filter(Boolean).join(' and ');
      out.push(`  ${r.where}  ${r.block}: ${match} → ${r.actions.join(', ')} for ${r.duration_ms / 1000}s (${r.trigger})`);
    }
  }
  const active = [...e.overrides, ...(e.suspended ? [e.suspended] : []), ...(e.bounce ? [e.bounce] : [])];
  out.push('', active.length ? 'active automation:' : 'active automation: none');
  for (const a of active) {
    const what = a.name ? `${a.action} ${a.name} = ${displayValue(a.value)}` : a.action;
    out.push(`  ${what}  until ${iso(a.until)}  (${a.rule.block}; response: ${a.reason})`);
  }
  return out.join('\n') + '\n';
}
