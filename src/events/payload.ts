import { compileTemplate } from '../inject/templates.js';
import type { CompiledTemplate } from '../inject/templates.js';
import type { LogRecord } from '../logging/types.js';
import { HookError } from './errors.js';
import type { LogHookSettings } from './hook-config.js';

/** One queued event as a sender sees it. */
export interface HookEvent {
  readonly seq: number;
  /** the record JSON, as in the log files */
  readonly json: string;
}

function recipientDomain(rec: LogRecord): string {
  const r = Array.isArray(rec.recipient) ? rec.recipient[0] ?? '' : rec.recipient;
  const at = r.lastIndexOf('@');
  return at < 0 ? '' : r.slice(at + 1).toLowerCase();
}

function metaString(rec: LogRecord, key: string): string | undefined {
  const v = rec.meta?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Whether `hook` takes `rec` (types, tenants, campaigns, recipient domains). */
export function hookWants(hook: LogHookSettings, rec: LogRecord): boolean {
  if (!hook.enable) return false;
  if (hook.types && !hook.types.has(rec.type)) return false;
  if (hook.tenants && !hook.tenants.has(metaString(rec, 'tenant') ?? '')) return false;
  if (hook.campaigns && !hook.campaigns.has(metaString(rec, 'campaign') ?? '')) return false;
  if (hook.domains) {
    const d = recipientDomain(rec);
    if (!hook.domains.some((p) => (p.startsWith('*.') ? d.endsWith(p.slice(1)) : p === '*' || p === d))) return false;
  }
  return true;
}

/** The variables a template or routing key sees: the record's fields plus tenant, campaign, domain. */
function variables(rec: LogRecord): Record<string, unknown> {
  return { ...rec, record: rec, tenant: metaString(rec, 'tenant') ?? '', campaign: metaString(rec, 'campaign') ?? '', domain: recipientDomain(rec) };
}

/** an operator's template over one record: bounded all the same, a loop in it must not stall delivery */
const PAYLOAD_LIMITS = { maxChars: 16 * 1024 * 1024, timeMs: 1000 };

const templates = new Map<string, CompiledTemplate>();
function template(hook: LogHookSettings): CompiledTemplate {
  let t = templates.get(hook.template!);
  if (!t) {
    // compiled once per distinct source (the config compiler checked it already)
    if (templates.size > 256) templates.clear();
    templates.set(hook.template!, (t = compileTemplate(`log_hook.${hook.name}.template`, hook.template!, { html: false })));
  }
  return t;
}

function parse(e: HookEvent): LogRecord {
  try {
    return JSON.parse(e.json) as LogRecord;
  /* c8 ignore next 3 -- guard: the store holds only the JSON lines the record writer produced */
  } catch (err) {
    throw new HookError('HOOK_PAYLOAD', `queued event ${e.seq} is not valid JSON: ${(err as Error).message}`);
  }
}

/** One event's payload: the record JSON unchanged, or the rendered template. */
export function eventPayload(hook: LogHookSettings, e: HookEvent): string {
  if (hook.template === undefined) return e.json;
  return template(hook).render(variables(parse(e)), PAYLOAD_LIMITS);
}

/**
 * A webhook request body: batch_size 1 sends the one payload; a larger batch a JSON array of
 * the records (the file lines joined, no re-serialisation), or the rendered templates one per line.
 */
export function webhookBody(hook: LogHookSettings, events: readonly HookEvent[]): string {
  if (hook.template !== undefined) return events.map((e) => eventPayload(hook, e)).join('\n');
  if (hook.batchSize === 1 && events.length === 1) return events[0]!.json;
  return `[${events.map((e) => e.json).join(',')}]`;
}

/** `{field}` placeholders of an AMQP routing key filled from the record (unknown fields: empty). */
export function routingKey(hook: LogHookSettings, e: HookEvent): string {
  if (!hook.routingKey.includes('{')) return hook.routingKey;
  const vars = variables(parse(e));
  return hook.routingKey.replace(/\{([A-Za-z0-9_]+)\}/g, (_, k: string) => {
    const v = vars[k];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  });
}
