import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { formatIssue } from '../config/issues.js';
import { Reporter } from '../config/report.js';
import { createResolver } from '../dns/create.js';
import { resolveMxSite } from '../dns/mx-site.js';
import { DnsError } from '../dns/resolver.js';
import { AutomationState } from '../shaping/automation-state.js';
import { explainShaping, formatExplanation } from '../shaping/explain.js';
import { configDir } from './config-dir.js';

/** `kumo-ts explain DOMAIN [--source NAME]`: the effective shaping and where each value came from. */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('Show the effective traffic shaping for a destination domain, with the file:line that set each value')
    .argument('<domain>', 'destination domain')
    .option('-s, --source <name>', 'egress source name', 'unspecified')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .option('--tenant <name>', 'tenant (for tenant suspensions)')
    .option('--campaign <name>', 'campaign (for campaign suspensions)')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { source: string; config?: string; json?: boolean; tenant?: string; campaign?: string }) => {
      const { dir } = configDir(opts.config);
      const res = await compileConfig({ root: dir });
      if (!res.ok) {
        for (const i of res.issues) process.stderr.write(formatIssue(i) + '\n');
        process.exitCode = 1;
        return;
      }
      const snap = res.snapshot;
      const d = domain.toLowerCase().replace(/\.$/, '');
      const { resolver } = createResolver(snap.main.dns, new Reporter());
      let site = d;
      let mxHosts: readonly string[] = [];
      let note: string | undefined;
      try {
        const mx = await resolveMxSite(resolver, d);
        site = mx.site;
        mxHosts = mx.mxHosts;
        if (mx.nullMx) note = 'null MX: the domain accepts no mail';
        else if (mx.implicit) note = 'no MX records: the domain itself is its mail host';
      } catch (e) {
        note = `MX lookup failed (${e instanceof DnsError ? e.code : (e as Error).message}); the site is shown as the domain`;
      }
      const automation = AutomationState.load(snap.shaping.automationStatePath, undefined, Date.now(), { readOnly: true });
      const ex = explainShaping(snap, { domain: d, site, mxHosts, source: opts.source, tenant: opts.tenant, campaign: opts.campaign }, automation);
      if (opts.json) {
        const { effective, ...rest } = ex;
        process.stdout.write(JSON.stringify({ ...rest, ...(note ? { note } : {}), effective: { ...effective, params: undefined } }, jsonReplacer, 2) + '\n');
      } else process.stdout.write(formatExplanation(ex, note));
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
