// Admin commands over the HTTP API, as KumoMTA's kcli: bounce, bounce-list, bounce-cancel,
// suspend, suspend-ready-q, suspend-list, resume, rebind.
import type { Command } from 'commander';
import { ApiRefusedError, UsageError } from './api-client.js';
import type { ApiClient } from './api-client.js';
import type { QueueSelector, SuspendReadyQV1ListEntry, SuspendV1ListEntry } from './api-types.js';
import { apiCommand, checkDuration, clientFrom, printJson, run } from './api-options.js';
import type { ApiOpts } from './api-options.js';
import { withProgress } from './progress.js';
import type { ProgressProbe } from './progress.js';
import { describeSelector, selectedCount, selectorFrom, selectorOptions } from './queue-select.js';
import type { SelectOpts } from './queue-select.js';
import { count, table, until } from './table.js';

type SelOpts = ApiOpts & SelectOpts & { reason: string; duration?: string };

const showProgress = (o: ApiOpts) => !o.json && !!process.stdout.isTTY;

/**
 * A probe of how many of the messages the selector matched have left their queues, from the
 * queue summary (undefined when the server has no summary route: the spinner is shown then).
 */
async function drainProbe(client: ApiClient, sel: QueueSelector, enabled: boolean): Promise<ProgressProbe | undefined> {
  if (!enabled) return undefined;
  let total: number;
  try {
    total = selectedCount(sel, await client.queueSummary(5_000));
  } catch {
    return undefined;
  }
  if (total === 0) return undefined;
  return async () => {
    const left = selectedCount(sel, await client.queueSummary(5_000));
    return { done: Math.max(0, total - left), total };
  };
}

function registerBounce(program: Command): void {
  const cmd = program
    .command('bounce')
    .description('Bounce the queued messages that match (AdminBounce records), and new ones for --duration')
    .requiredOption('--reason <text>', 'reason logged in each AdminBounce record and shown by bounce-list')
    .option('--duration <d>', 'how long new matching messages keep bouncing (default on the server: 5m)')
    .option('--suppress-logging', 'do not write AdminBounce records');
  selectorOptions(cmd, { routingDomain: true });
  apiCommand(cmd).action(run(async (o: SelOpts & { suppressLogging?: boolean }) => {
    const sel = selectorFrom(o, 'bounce');
    const duration = checkDuration(o.duration);
    const client = clientFrom(o);
    const probe = await drainProbe(client, sel, showProgress(o));
    const res = await withProgress('bouncing', client.bounce({ ...sel, reason: o.reason, duration, suppress_logging: o.suppressLogging || undefined }),
      { enabled: showProgress(o), probe, follow: true });
    if (o.json) return printJson(res);
    process.stdout.write(`bounce ${res.id} registered${res.total_bounced ? `; ${count(res.total_bounced)} messages bounced` : ''}\n`);
    process.stderr.write('matching messages are bounced as the server sweeps its queues; see kumo-ts bounce-list\n');
  }));
}

function registerBounceList(program: Command): void {
  apiCommand(program.command('bounce-list').description('List the active admin bounce rules')).action(run(async (o: ApiOpts) => {
    const list = await clientFrom(o).bounceList();
    if (o.json) return printJson(list);
    if (!list.length) return void process.stdout.write('no active bounce rules\n');
    process.stdout.write(table(list, [
      { title: 'ID', get: (e) => e.id },
      { title: 'MATCH', get: (e) => describeSelector(e) },
      { title: 'BOUNCED', get: (e) => count(e.total_bounced ?? 0), right: true },
      { title: 'LEFT', get: (e) => (e.expires ? until(e.expires) : e.duration) },
      { title: 'REASON', get: (e) => e.reason },
    ]));
  }));
}

function registerBounceCancel(program: Command): void {
  apiCommand(program.command('bounce-cancel').argument('<id>', 'bounce rule id (from bounce-list)').description('Remove an admin bounce rule'))
    .action(run(async (id: string, o: ApiOpts) => {
      const res = await clientFrom(o).bounceCancel(id);
      if (o.json) return printJson(res ?? {});
      process.stdout.write(`bounce ${id} cancelled\n`);
    }));
}

function registerSuspend(program: Command): void {
  const cmd = program
    .command('suspend')
    .description('Suspend delivery from the scheduled queues that match (messages stay queued)')
    .requiredOption('--reason <text>', 'reason shown by suspend-list')
    .option('--duration <d>', 'how long the suspension lasts');
  selectorOptions(cmd, { routingDomain: false });
  apiCommand(cmd).action(run(async (o: SelOpts) => {
    const sel = selectorFrom(o, 'suspend');
    const res = await clientFrom(o).suspend({ ...sel, reason: o.reason, duration: checkDuration(o.duration) });
    if (o.json) return printJson(res);
    process.stdout.write(`suspension ${res.id} active (kumo-ts resume ${res.id} to lift it)\n`);
  }));
}

function registerSuspendReadyQ(program: Command): void {
  apiCommand(program
    .command('suspend-ready-q')
    .argument('<name>', 'ready queue name (egress source -> site), as queue-summary shows it')
    .description('Suspend a ready queue (one egress source towards one site)')
    .requiredOption('--reason <text>', 'reason shown by suspend-list')
    .option('--duration <d>', 'how long the suspension lasts'))
    .action(run(async (name: string, o: ApiOpts & { reason: string; duration?: string }) => {
      const res = await clientFrom(o).suspendReadyQ({ name, reason: o.reason, duration: checkDuration(o.duration) });
      if (o.json) return printJson(res);
      process.stdout.write(`suspension ${res.id} of ready queue ${name} active (kumo-ts resume ${res.id} to lift it)\n`);
    }));
}

type SuspendRow = { kind: 'scheduled'; e: SuspendV1ListEntry } | { kind: 'ready'; e: SuspendReadyQV1ListEntry };

function registerSuspendList(program: Command): void {
  apiCommand(program.command('suspend-list').description('List the active suspensions of scheduled and ready queues'))
    .action(run(async (o: ApiOpts) => {
      const client = clientFrom(o);
      const [scheduled, ready] = await Promise.all([client.suspendList(), client.suspendReadyQList()]);
      if (o.json) return printJson({ scheduled, ready });
      const rows: SuspendRow[] = [...scheduled.map((e) => ({ kind: 'scheduled' as const, e })), ...ready.map((e) => ({ kind: 'ready' as const, e }))];
      if (!rows.length) return void process.stdout.write('no active suspensions\n');
      process.stdout.write(table(rows, [
        { title: 'KIND', get: (r) => r.kind },
        { title: 'ID', get: (r) => r.e.id },
        { title: 'MATCH', get: (r) => (r.kind === 'ready' ? `ready-q=${r.e.name}` : describeSelector(r.e)) },
        { title: 'LEFT', get: (r) => (r.e.expires ? until(r.e.expires) : r.e.duration) },
        { title: 'REASON', get: (r) => r.e.reason },
      ]));
    }));
}

function registerResume(program: Command): void {
  apiCommand(program.command('resume').argument('<id>', 'suspension id (from suspend-list), of a scheduled or a ready queue').description('Lift a suspension'))
    .action(run(async (id: string, o: ApiOpts) => {
      const client = clientFrom(o);
      // the id says nothing of its kind: scheduled first, then ready (each answers 404 when not its own)
      let kind = 'scheduled';
      let res = await client.suspendCancel(id);
      if (res === undefined) {
        kind = 'ready';
        res = await client.suspendReadyQCancel(id);
      }
      if (res === undefined) throw new ApiRefusedError(`${client.endpoint}: 404 Not Found: no active suspension has id ${id} (see kumo-ts suspend-list)`, 404, null);
      if (o.json) return printJson({ id, kind, ...(typeof res === 'object' && res ? res : {}) });
      process.stdout.write(`${kind} queue suspension ${id} lifted\n`);
    }));
}

/** `--data key=value` (repeatable) or `--data '{"key":"value"}'` → one string map. */
export function parseRebindData(items: string[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const it of items) {
    if (it.trim().startsWith('{')) {
      let o: unknown;
      try {
        o = JSON.parse(it);
      } catch (e) {
        throw new UsageError(`--data ${it}: not JSON: ${(e as Error).message}`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new UsageError(`--data ${it}: expected a JSON object`);
      for (const [k, v] of Object.entries(o)) {
        if (typeof v !== 'string') throw new UsageError(`--data: the value of "${k}" must be a string`);
        data[k] = v;
      }
      continue;
    }
    const eq = it.indexOf('=');
    if (eq <= 0) throw new UsageError(`--data ${it}: expected key=value`);
    data[it.slice(0, eq)] = it.slice(eq + 1);
  }
  return data;
}

/** keys of rebind data that can move a message to another scheduled queue */
const MOVING_KEYS = ['queue', 'routing_domain', 'tenant', 'campaign'];

function registerRebind(program: Command): void {
  const cmd = program
    .command('rebind')
    .description('Re-evaluate the queue of matching messages, merging --data into their metadata (e.g. routing_domain, queue)')
    .option('--data <key=value>', 'metadata to set (repeatable), or a JSON object of strings', (v: string, p: string[] = []) => [...p, v])
    .option('--always-flush', 'make every matched message due now, even when its queue does not change')
    .option('--reason <text>', 'reason logged in each AdminRebind record', 'rebind by kumo-ts CLI')
    .option('--suppress-logging', 'do not write AdminRebind records');
  selectorOptions(cmd, { routingDomain: true });
  apiCommand(cmd).action(run(async (o: ApiOpts & SelectOpts & { data?: string[]; alwaysFlush?: boolean; reason: string; suppressLogging?: boolean }) => {
    const sel = selectorFrom(o, 'rebind');
    const data = parseRebindData(o.data ?? []);
    if (!Object.keys(data).length && !o.alwaysFlush) throw new UsageError('rebind needs --data key=value (or --always-flush)');
    const client = clientFrom(o);
    const moves = Object.keys(data).some((k) => MOVING_KEYS.includes(k));
    const probe = moves ? await drainProbe(client, sel, showProgress(o)) : undefined;
    const res = await withProgress('rebinding', client.rebind({ ...sel, reason: o.reason, data, always_flush: o.alwaysFlush || undefined, suppress_logging: o.suppressLogging || undefined }),
      { enabled: showProgress(o), probe, follow: true, stallMs: 5_000 });
    if (o.json) return printJson(res);
    const r = res as { matched?: number; moved?: number; flushed?: number };
    const parts = typeof r.matched === 'number'
      ? `: ${count(r.matched)} matched, ${count(r.moved ?? 0)} moved to another queue, ${count(r.flushed ?? 0)} due now` : '';
    process.stdout.write(`rebind done${parts}\n`);
  }));
}

export function registerAdminCommands(program: Command): void {
  registerBounce(program);
  registerBounceList(program);
  registerBounceCancel(program);
  registerSuspend(program);
  registerSuspendReadyQ(program);
  registerSuspendList(program);
  registerResume(program);
  registerRebind(program);
}
