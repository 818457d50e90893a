// `kumo-ts queue-summary` and `kumo-ts inspect ID`: what is queued, and one message.
import type { Command } from 'commander';
import { UsageError } from './api-client.js';
import type { InspectMessageV1Response, QueueSummaryV1, RuleState } from './api-types.js';
import { apiCommand, clientFrom, printJson, run } from './api-options.js';
import type { ApiOpts } from './api-options.js';
import { age, count, table, until } from './table.js';

function ruleText(kind: string, r: RuleState | null): string | undefined {
  return r ? `${kind} (${until(r.expires)}: ${r.reason})` : undefined;
}

/** The human rendering of a queue summary: scheduled queues, ready queues, totals. */
export function formatQueueSummary(s: QueueSummaryV1, limit = Infinity): string {
  const out: string[] = [];
  const sched = [...s.scheduled].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  const ready = [...s.ready].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  out.push(`Scheduled queues (${s.scheduled.length}):\n`);
  out.push(sched.length ? table(sched, [
    { title: 'QUEUE', get: (q) => q.name },
    { title: 'COUNT', get: (q) => count(q.count), right: true },
    { title: 'OLDEST', get: (q) => age(q.oldest_age_s), right: true },
    { title: 'STATE', get: (q) => [ruleText('suspended', q.suspended), ruleText('bouncing', q.bounce)].filter(Boolean).join(', ') || '-' },
  ]) : '  (none)\n');
  out.push(`\nReady queues (${s.ready.length}):\n`);
  out.push(ready.length ? table(ready, [
    { title: 'QUEUE', get: (q) => q.name },
    { title: 'COUNT', get: (q) => count(q.count), right: true },
    { title: 'CONN', get: (q) => count(q.connections), right: true },
    { title: 'STATE', get: (q) => ruleText('suspended', q.suspended) ?? '-' },
  ]) : '  (none)\n');
  const t = s.totals;
  out.push(`\nTotals: scheduled ${count(t.scheduled)}, ready ${count(t.ready)}; since start: received ${count(t.received_total)}, ` +
    `delivered ${count(t.delivered_total)}, transient ${count(t.transient_total)}, failed ${count(t.failed_total)}\n`);
  return out.join('');
}

function registerQueueSummary(program: Command): void {
  apiCommand(program
    .command('queue-summary')
    .description('Show the scheduled and ready queues with their counts, oldest message, connections and suspend/bounce state')
    .option('--limit <n>', 'show at most N queues of each kind (largest first)'))
    .action(run(async (o: ApiOpts & { limit?: string }) => {
      const limit = o.limit === undefined ? Infinity : Number(o.limit);
      if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit ${o.limit}: expected a positive integer`);
      const s = await clientFrom(o).queueSummary();
      if (o.json) return printJson(s);
      process.stdout.write(formatQueueSummary(s, limit));
    }));
}

export function formatInspect(r: InspectMessageV1Response): string {
  const m = r.message;
  const lines = [
    `id:         ${r.id}`,
    `sender:     ${m.sender}`,
    `recipient:  ${Array.isArray(m.recipient) ? m.recipient.join(', ') : m.recipient}`,
  ];
  if (m.num_attempts !== undefined) lines.push(`attempts:   ${m.num_attempts}`);
  if (m.due !== undefined) lines.push(`due:        ${m.due ?? 'now'}`);
  const meta = Object.entries(m.meta ?? {});
  if (meta.length) {
    lines.push('meta:');
    for (const [k, v] of meta.sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  let out = lines.join('\n') + '\n';
  if (m.data !== undefined) out += `\n${m.data}${m.data.endsWith('\n') ? '' : '\n'}`;
  return out;
}

function registerInspect(program: Command): void {
  apiCommand(program
    .command('inspect')
    .argument('<id>', 'spool id of the message')
    .description('Show a queued message: envelope, metadata, attempts (and its content with --want-body)')
    .option('--want-body', 'include the message content'))
    .action(run(async (id: string, o: ApiOpts & { wantBody?: boolean }) => {
      const r = await clientFrom(o).inspectMessage(id, !!o.wantBody);
      if (o.json) return printJson(r);
      process.stdout.write(formatInspect(r));
    }));
}

export function registerQueueCommands(program: Command): void {
  registerQueueSummary(program);
  registerInspect(program);
}
