import type { BounceClassifier } from '../bounce/classifier.js';
import type { Logger } from '../logging/logger.js';
import type { AutomationEntry, AutomationScope, AutomationState } from './automation-state.js';
import type { DeliveryResponse, PathInfo } from './types.js';
import type { AutomationAction, AutomationRule } from './model.js';
import { responseLine, ruleMatches } from './rules.js';

/**
 * Runs the automation rules in process (no TSA daemon): each delivery response is tested
 * against the rules watching its path; a match either acts at once (`Immediate`) or counts
 * towards a `Threshold` (N matches within the period, per source × site), and acting records
 * a time-limited effect in the AutomationState (persisted, logged, shown by explain).
 */
export class AutomationEngine {
  private readonly hits = new Map<string, number[]>();
  private checks = 0;

  constructor(readonly state: AutomationState, private readonly log?: Logger) {}

  /** `classifier`: the epoch's bounce classifier, for rules that match on bounce_classification */
  onResponse(rules: readonly AutomationRule[], q: PathInfo, response: DeliveryResponse, now = Date.now(), classifier?: BounceClassifier): AutomationEntry[] {
    if (!rules.length) return [];
    const line = responseLine(response.code, response.enhanced, response.text);
    let cls: string | undefined;
    const classify = () => (cls ??= classifier?.classifyLine(line) ?? 'Uncategorized');
    const fired: AutomationEntry[] = [];
    for (const rule of rules) {
      if (!ruleMatches(rule, line, response.internal === true, classify)) continue;
      if (rule.trigger.kind === 'Threshold') {
        const key = `${rule.id}|${q.source}|${q.site}`;
        const since = now - rule.trigger.periodMs;
        const list = (this.hits.get(key) ?? []).filter((t) => t > since);
        list.push(now);
        this.hits.set(key, list);
        if (list.length < rule.trigger.limit) {
          this.log?.info('shaping automation: response matched a threshold rule', {
            rule: rule.at.block, regex: rule.regexSource, source: q.source, site: q.site, count: list.length, threshold: rule.trigger.spec,
          });
          continue;
        }
      }
      for (const action of rule.actions) {
        const e = this.effect(rule, action, q, line, now);
        if (!e) continue;
        this.state.add(e);
        fired.push(e);
        this.log?.warn('shaping automation: rule fired', {
          action: e.action, ...e.scope, ...(e.name ? { name: e.name, value: e.value } : {}),
          until: new Date(e.until).toISOString(), rule: rule.at.block, regex: rule.regexSource, response: line.slice(0, 300),
        });
      }
    }
    if (++this.checks % 1024 === 0) this.pruneHits(now);
    return fired;
  }

  private effect(rule: AutomationRule, action: AutomationAction, q: PathInfo, line: string, now: number): AutomationEntry | undefined {
    const tenant = q.tenant ?? '';
    const campaign = q.campaign ?? '';
    let scope: AutomationScope;
    switch (action.kind) {
      case 'Suspend':
      case 'Bounce':
        scope = { source: q.source, site: q.site };
        break;
      case 'SuspendTenant':
      case 'BounceTenant':
        scope = { domain: q.domain, tenant };
        break;
      case 'SuspendCampaign':
      case 'BounceCampaign':
        scope = { domain: q.domain, tenant, campaign };
        break;
      case 'SetConfig':
        // KumoMTA: rules of rollup blocks (default, sites) override the site; others the domain
        scope = rule.rollup ? { source: q.source, site: q.site } : { source: q.source, domain: q.domain };
        break;
      case 'SetDomainConfig':
        scope = { domain: q.domain };
        break;
    }
    const named = 'name' in action ? action : undefined;
    return {
      key: [rule.id, action.kind, named?.name ?? '', scope.source ?? '', scope.site ?? '', scope.domain ?? '', scope.tenant ?? '', scope.campaign ?? ''].join('|'),
      action: action.kind,
      scope,
      ...(named ? { name: named.name, value: named.raw } : {}),
      since: now,
      until: now + rule.durationMs,
      rule: { id: rule.id, block: rule.at.block, regex: rule.regexSource },
      reason: line.slice(0, 500),
    };
  }

  /* c8 ignore start -- memory housekeeping every 1024 checks: drops hit lists too old to count, no decision changes */
  private pruneHits(now: number): void {
    for (const [k, list] of this.hits) if (!list.length || list[list.length - 1] < now - 86_400_000) this.hits.delete(k);
  }
}
/* c8 ignore stop */
