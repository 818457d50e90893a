import { createHash } from 'node:crypto';
import type { AutomationRule as RawRule, AutomationAction as RawAction } from '../config/generated/shaping.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseDuration, parseThrottle } from '../config/values.js';
import type { AutomationAction, AutomationRule, RuleScope, TriggerSpec } from './model.js';
import { expandParam } from './param-values.js';
import { compileRegex } from '../config/rust-regex.js';

export { compileRegex, responseLine } from '../config/rust-regex.js';

export interface RuleContext {
  file: SourceFile;
  fileIndex: number;
  scope: RuleScope;
  owner: string;
  rollup: boolean;
  block: string;
}

/** Compiles the `automation` array of one block; bad entries are reported and dropped. */
export function compileRules(ctx: RuleContext, base: KeyPath, raw: RawRule[] | undefined, r: Reporter): AutomationRule[] {
  const out: AutomationRule[] = [];
  for (const [i, rule] of (raw ?? []).entries()) {
    const path = [...base, i];
    const before = r.errorCount;
    const sources = rule.regex === undefined ? [] : [rule.regex].flat();
    const classifications = rule.bounce_classification === undefined ? [] : [rule.bounce_classification].flat();
    if (!sources.length && !classifications.length)
      r.error(ctx.file, path, 'value.automation', 'an automation rule needs regex, bounce_classification, or both', 'key');
    const regex: RegExp[] = [];
    sources.forEach((s, j) => {
      const re = r.parse(ctx.file, Array.isArray(rule.regex) ? [...path, 'regex', j] : [...path, 'regex'], 'value.regex', () => compileRegex(s));
      if (re) regex.push(re);
    });
    const actions: AutomationAction[] = [];
    const rawActions: RawAction[] = [rule.action].flat();
    rawActions.forEach((a, j) => {
      const ap = Array.isArray(rule.action) ? [...path, 'action', j] : [...path, 'action'];
      if (typeof a === 'string') {
        actions.push({ kind: a });
        return;
      }
      const kind = 'SetConfig' in a ? 'SetConfig' : 'SetDomainConfig';
      const cv = 'SetConfig' in a ? a.SetConfig : a.SetDomainConfig;
      const ok = r.parse(ctx.file, [...ap, kind, 'value'], 'value.automation', () => expandParam(cv.name, cv.value));
      if (ok) actions.push({ kind, name: cv.name, raw: cv.value });
    });
    let trigger: TriggerSpec = { kind: 'Immediate' };
    if (rule.trigger && typeof rule.trigger === 'object') {
      const spec = rule.trigger.Threshold;
      const t = r.parse(ctx.file, [...path, 'trigger', 'Threshold'], 'value.throttle', () => parseThrottle(spec));
      if (t) trigger = { kind: 'Threshold', spec, limit: t.limit, periodMs: t.periodMs };
    }
    const durationMs = r.parse(ctx.file, [...path, 'duration'], 'value.duration', () => parseDuration(rule.duration));
    if (r.errorCount !== before || durationMs === undefined) continue;
    const id = createHash('sha256')
      .update(JSON.stringify([ctx.scope, ctx.owner, sources, ...(classifications.length ? [classifications] : []), rawActions, rule.trigger ?? 'Immediate', rule.duration, !!rule.match_internal]))
      .digest('hex')
      .slice(0, 16);
    out.push({
      id,
      scope: ctx.scope,
      owner: ctx.owner,
      rollup: ctx.rollup,
      regex,
      regexSource: sources,
      classifications,
      actions,
      trigger,
      durationMs,
      matchInternal: rule.match_internal ?? false,
      at: { file: ctx.fileIndex, base: path, block: ctx.block },
    });
  }
  return out;
}

/** Whether a rule matches a response line; `classify` gives the line's bounce classification (asked only when the rule has one). */
export function ruleMatches(rule: AutomationRule, line: string, internal: boolean, classify?: () => string): boolean {
  if (internal && !rule.matchInternal) return false;
  if (rule.regex.length && !rule.regex.some((re) => re.test(line))) return false;
  if (rule.classifications.length && !(classify && rule.classifications.includes(classify()))) return false;
  return true;
}
