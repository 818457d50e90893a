// The --domain/--routing-domain/--campaign/--tenant/--queue/--everything options of bounce,
// suspend and rebind, and which scheduled queues of a queue summary they select.
import type { Command } from 'commander';
import { parseQueueName } from '../queue/naming.js';
import { UsageError } from './api-client.js';
import type { QueueSelector, QueueSummaryV1, ScheduledQueueSummary } from './api-types.js';

export interface SelectOpts {
  domain?: string;
  routingDomain?: string;
  campaign?: string;
  tenant?: string;
  queue?: string[];
  everything?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function selectorOptions(cmd: Command, opts: { routingDomain: boolean }): Command {
  cmd
    .option('--domain <domain>', 'destination domain to match')
    .option('--campaign <name>', 'campaign to match')
    .option('--tenant <name>', 'tenant to match')
    .option('--queue <name>', 'exact scheduled queue name (repeatable; instead of the other criteria)', collect)
    .option('--everything', 'apply to every scheduled queue (required when no criterion is given)');
  if (opts.routingDomain) cmd.option('--routing-domain <domain>', 'routing domain to match');
  return cmd;
}

/** The request's selector; a usage error when nothing was selected and --everything was not given. */
export function selectorFrom(o: SelectOpts, verb: string): QueueSelector {
  const sel: QueueSelector = {};
  if (o.domain) sel.domain = o.domain;
  if (o.routingDomain) sel.routing_domain = o.routingDomain;
  if (o.campaign) sel.campaign = o.campaign;
  if (o.tenant) sel.tenant = o.tenant;
  if (o.queue?.length) {
    if (Object.keys(sel).length) throw new UsageError('--queue cannot be combined with --domain, --routing-domain, --campaign or --tenant');
    sel.queue_names = o.queue;
  }
  const any = Object.keys(sel).length > 0;
  if (any && o.everything) throw new UsageError('--everything cannot be combined with other criteria');
  if (!any && !o.everything) throw new UsageError(`no --domain, --routing-domain, --campaign, --tenant or --queue given; use --everything if you mean to ${verb} every queue`);
  return sel;
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Whether the server would apply `sel` to this scheduled queue (as KumoMTA matches: each given part equal). */
export function selects(sel: QueueSelector, q: ScheduledQueueSummary): boolean {
  if (sel.queue_names?.length) return sel.queue_names.includes(q.name);
  const parts = parseQueueName(q.name);
  if (sel.domain !== undefined && !eq(q.domain ?? parts.domain, sel.domain)) return false;
  if (sel.routing_domain !== undefined && !eq(parts.routingDomain ?? q.domain, sel.routing_domain)) return false;
  if (sel.tenant !== undefined && (q.tenant ?? parts.tenant) !== sel.tenant) return false;
  if (sel.campaign !== undefined && (q.campaign ?? parts.campaign) !== sel.campaign) return false;
  return true;
}

/** Messages queued in the scheduled queues that `sel` selects. */
export function selectedCount(sel: QueueSelector, s: QueueSummaryV1): number {
  return s.scheduled.filter((q) => selects(sel, q)).reduce((n, q) => n + q.count, 0);
}

/** "domain=example.com tenant=t1" — the criteria of a rule, for tables. */
export function describeSelector(e: { domain?: string | null; routing_domain?: string | null; campaign?: string | null; tenant?: string | null; queue_names?: readonly string[] }): string {
  const parts: string[] = [];
  if (e.queue_names?.length) parts.push(`queue=${e.queue_names.join(',')}`);
  if (e.domain) parts.push(`domain=${e.domain}`);
  if (e.routing_domain) parts.push(`routing_domain=${e.routing_domain}`);
  if (e.campaign) parts.push(`campaign=${e.campaign}`);
  if (e.tenant) parts.push(`tenant=${e.tenant}`);
  return parts.length ? parts.join(' ') : '(everything)';
}
