import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { formatIssue } from '../config/issues.js';
import { Reporter } from '../config/report.js';
import { UNSPECIFIED } from '../config/egress.js';
import { createResolver } from '../dns/create.js';
import { AutomationState } from '../shaping/automation-state.js';
import { explainShaping, formatExplanation } from '../shaping/explain.js';
import { configDir } from './config-dir.js';
import { explainRoute, formatRoute } from './explain-route.js';
import { explainTlsPolicy, formatTlsPolicy } from '../tls-policy/explain.js';

/**
 * `kumo-ts explain DOMAIN`: the whole route of a message to DOMAIN (scheduled queue, egress
 * pool and source, MX hosts and site, ready queue, port) and the effective traffic shaping
 * with the file:line that set each value. Values kumo-ts parses but does not act on yet are
 * marked "(not acted on yet)".
 */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('Show the route of mail to a domain (queue, pool, source, MX hosts, site, port) and its effective traffic shaping, with the file:line that set each value')
    .argument('<domain>', 'destination domain')
    .option('-s, --source <name>', 'egress source to explain (default: the first pick of the queue\'s egress pool)')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .option('--tenant <name>', 'tenant (default: default_tenant of queues.toml)')
    .option('--campaign <name>', 'campaign')
    .option('--json', 'print JSON')
    .option('--live', 'also do the live TLS policy lookups (MTA-STS TXT and policy fetch, DNSSEC MX/TLSA) and show the policy that applies')
    .action(async (domain: string, opts: { source?: string; config?: string; json?: boolean; live?: boolean; tenant?: string; campaign?: string }) => {
      if (!plausibleDomain(domain)) {
        process.stderr.write(`kumo-ts explain: ${JSON.stringify(domain)} is not a domain name\n`);
        process.exitCode = 2;
        return;
      }
      const { dir } = configDir(opts.config);
      const res = await compileConfig({ root: dir });
      if (!res.ok) {
        for (const i of res.issues) process.stderr.write(formatIssue(i) + '\n');
        process.exitCode = 1;
        return;
      }
      const snap = res.snapshot;
      const { resolver } = createResolver(snap.main.dns, new Reporter());
      const route = await explainRoute(snap, resolver, { domain, tenant: opts.tenant, campaign: opts.campaign, source: opts.source });
      const automation = AutomationState.load(snap.shaping.automationStatePath, undefined, Date.now(), { readOnly: true });
      const ex = explainShaping(
        snap,
        {
          domain: route.routingDomain,
          site: route.site,
          ...(route.mxSite !== undefined ? { mxSite: route.mxSite } : {}),
          mxHosts: route.mxHosts,
          source: route.source?.name ?? UNSPECIFIED,
          tenant: route.tenant,
          campaign: opts.campaign,
        },
        automation,
      );
      const shaping = route.readyQueue !== undefined ? { ...ex, readyQueue: route.readyQueue } : ex;
      const eff = ex.effective as { enable_mta_sts?: boolean; enable_dane?: boolean };
      const tlsPolicy = opts.live && route.protocol === 'smtp' && !route.mxList
        ? await explainTlsPolicy(snap, resolver, route.routingDomain, { enableMtaSts: eff.enable_mta_sts !== false, enableDane: eff.enable_dane === true, port: route.port ?? 25 })
        : undefined;
      if (opts.json) {
        const { effective, ...rest } = shaping;
        const out = { ...rest, ...(route.note ? { note: route.note } : {}), route, ...(tlsPolicy ? { tlsPolicy } : {}), effective: { ...effective, params: undefined } };
        process.stdout.write(JSON.stringify(out, jsonReplacer, 2) + '\n');
      } else process.stdout.write(formatExplanation(shaping, route.note, [...formatRoute(route), ...(tlsPolicy ? formatTlsPolicy(tlsPolicy) : [])]));
    });
}

/** Throttles print as their spec; CIDR sets as their entries. */
function jsonReplacer(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object') {
    if ('spec' in v && 'intervalMs' in v) return (v as { spec: string }).spec;
    if ('entries' in v && Array.isArray((v as { entries: unknown }).entries) && !Array.isArray(v)) return (v as { entries: string[] }).entries;
  }
  return v;
}

/** A name whose labels are 1-63 characters without spaces or dots (IDNs as typed), or an address literal. */
function plausibleDomain(d: string): boolean {
  if (/^\[[^\]\s]+\]$/.test(d)) return true;
  const name = d.endsWith('.') ? d.slice(0, -1) : d;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => l.length > 0 && l.length <= 63 && !/[\s@\/\\]/.test(l));
}
