import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { selects, selectsEverything } from './rules.js';
import type { AdminRule, BounceRule, QueueFacts, QueueSelector, ReadySuspendRule, SuspendRule } from './rules.js';
import { readAdminState, writeAdminState } from './state-file.js';

export type RuleKind = AdminRule['kind'];
export type EndReason = 'cancelled' | 'expired';

export interface AdminStateEvents {
  added: [rule: AdminRule];
  /** a rule stopped applying (cancelled by the API or expired) */
  ended: [rule: AdminRule, why: EndReason];
}

export interface NewBounce extends QueueSelector {
  readonly reason: string;
  readonly expires: number;
  readonly suppress_logging?: boolean;
}
export interface NewSuspend extends QueueSelector {
  readonly reason: string;
  readonly expires: number;
}
export interface NewReadySuspend {
  readonly name: string;
  readonly reason: string;
  readonly expires: number;
}

/** How often expiry is checked (a rule ends at most this late). */
const SWEEP_MS = 500;
/** Bounce counters are saved at most this often (the rules themselves at once). */
const COUNT_SAVE_MS = 2_000;

/**
 * The durable administrative state: admin bounces, scheduled-queue suspensions and ready
 * queue suspensions. Every change is written to `<spool>/admin-state.json` before the change
 * is acknowledged (the API answers after `add*`/`cancel` resolve), so rules survive a
 * restart; expired rules are dropped at load and by a periodic sweep. Every action is logged.
 */
export class AdminState extends EventEmitter<AdminStateEvents> {
  private readonly rules = new Map<string, AdminRule>();
  private sweeper: NodeJS.Timeout | undefined;
  private countTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(private readonly opts: { readonly dir: string; readonly log: Logger }) {
    super();
  }

  /** Loads the saved rules (expired ones dropped) and starts the expiry sweep. */
  async start(): Promise<void> {
    const now = Date.now();
    const saved = readAdminState(this.opts.dir);
    let dropped = 0;
    for (const r of saved) {
      // an expiry that is no date (written by a version that let any duration through) ends it too
      if (typeof r.expires !== 'number' || !(r.expires <= now + 1e15)) {
        this.opts.log.warn(`admin: a saved ${r.kind} rule has no valid expiry; dropped`, { id: r.id, expires: String(r.expires) });
        dropped++;
      } else if (r.expires <= now) dropped++;
      else this.rules.set(r.id, r.kind === 'bounce' ? { ...r, bounced: { ...(r.bounced ?? {}) } } : r);
    }
    this.opts.log.info('admin: state loaded', { rules: this.rules.size, expired_dropped: dropped, path: this.opts.dir });
    if (dropped) await this.persist();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    if (this.countTimer) {
      clearTimeout(this.countTimer);
      this.countTimer = undefined;
      await this.persist().catch(() => undefined);
    }
    await this.chain;
  }

  // ---------- changes ----------

  async addBounce(b: NewBounce): Promise<BounceRule> {
    const rule: BounceRule = { kind: 'bounce', id: randomUUID(), created: Date.now(), ...selectorOf(b), reason: b.reason, expires: b.expires, suppress_logging: b.suppress_logging === true, bounced: {} };
    return this.add(rule);
  }

  async addSuspend(s: NewSuspend): Promise<SuspendRule> {
    return this.add<SuspendRule>({ kind: 'suspend', id: randomUUID(), created: Date.now(), ...selectorOf(s), reason: s.reason, expires: s.expires });
  }

  async addReadySuspend(s: NewReadySuspend): Promise<ReadySuspendRule> {
    return this.add<ReadySuspendRule>({ kind: 'suspend-ready-q', id: randomUUID(), created: Date.now(), name: s.name, reason: s.reason, expires: s.expires });
  }

  private async add<R extends AdminRule>(rule: R): Promise<R> {
    this.rules.set(rule.id, rule);
    await this.persist();
    this.opts.log.info(`admin: ${rule.kind} added`, { ...describe(rule), ...(rule.kind !== 'suspend-ready-q' && selectsEverything(rule) ? { everything: true } : {}) });
    this.emit('added', rule);
    return rule;
  }

  /** Ends a rule of `kind` now; undefined when there is no such active rule. */
  async cancel(kind: RuleKind, id: string): Promise<AdminRule | undefined> {
    const rule = this.rules.get(id);
    if (!rule || rule.kind !== kind) return undefined;
    this.rules.delete(id);
    await this.persist();
    this.opts.log.info(`admin: ${kind} cancelled`, describe(rule));
    this.emit('ended', rule, 'cancelled');
    return rule;
  }

  /** Counts recipients bounced by `rule` in `queue` (saved lazily). */
  countBounced(rule: BounceRule, queue: string, n = 1): void {
    rule.bounced[queue] = (rule.bounced[queue] ?? 0) + n;
    if (this.countTimer || !this.rules.has(rule.id)) return;
    this.countTimer = setTimeout(() => {
      this.countTimer = undefined;
      void this.persist().catch(() => undefined);
    }, COUNT_SAVE_MS);
    this.countTimer.unref();
  }

  // ---------- queries (hot path: called for every message promoted) ----------

  list<K extends RuleKind>(kind: K): Extract<AdminRule, { kind: K }>[] {
    const now = Date.now();
    return [...this.rules.values()].filter((r): r is Extract<AdminRule, { kind: K }> => r.kind === kind && r.expires > now);
  }

  /** No rule at all (the queue's hot path skips its checks). */
  get empty(): boolean {
    return this.rules.size === 0;
  }

  /** The bounce rule in force for a scheduled queue (the oldest when several match). */
  bounceFor(q: QueueFacts): BounceRule | undefined {
    return this.first('bounce', (r) => selects(r, q));
  }

  suspensionFor(q: QueueFacts): SuspendRule | undefined {
    return this.first('suspend', (r) => selects(r, q));
  }

  /** The suspension of a ready queue, by its name (the `;port=…`/`;tls=…` suffixes may be omitted). */
  readySuspensionFor(name: string): ReadySuspendRule | undefined {
    const base = name.split(';')[0];
    return this.first('suspend-ready-q', (r) => r.name === name || r.name === base);
  }

  private first<K extends RuleKind>(kind: K, pred: (r: Extract<AdminRule, { kind: K }>) => boolean): Extract<AdminRule, { kind: K }> | undefined {
    if (!this.rules.size) return undefined;
    const now = Date.now();
    for (const r of this.rules.values()) if (r.kind === kind && r.expires > now && pred(r as Extract<AdminRule, { kind: K }>)) return r as Extract<AdminRule, { kind: K }>;
    return undefined;
  }

  // ---------- persistence and expiry ----------

  private sweep(): void {
    const now = Date.now();
    const ended: AdminRule[] = [];
    for (const r of this.rules.values()) if (r.expires <= now) ended.push(r);
    if (!ended.length) return;
    for (const r of ended) this.rules.delete(r.id);
    void this.persist().catch(() => undefined);
    for (const r of ended) {
      this.opts.log.info(`admin: ${r.kind} expired`, describe(r));
      this.emit('ended', r, 'expired');
    }
  }

  /** Saves the current rules; concurrent callers share one pending write (writes never overlap). */
  private persist(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(async () => {
      this.queued = undefined;
      await writeAdminState(this.opts.dir, [...this.rules.values()]);
    });
    this.queued = next;
    this.chain = next.catch((e: unknown) => this.opts.log.error('admin: saving the admin state failed', { error: String(e), path: this.opts.dir }));
    return next;
  }
}

function selectorOf(s: QueueSelector): QueueSelector {
  const out: { -readonly [K in keyof QueueSelector]: QueueSelector[K] } = {};
  if (s.domain !== undefined) out.domain = s.domain.toLowerCase().replace(/\.$/, '');
  if (s.routing_domain !== undefined) out.routing_domain = s.routing_domain.toLowerCase().replace(/\.$/, '');
  if (s.tenant !== undefined) out.tenant = s.tenant;
  if (s.campaign !== undefined) out.campaign = s.campaign;
  if (s.queue_names?.length) out.queue_names = [...s.queue_names];
  return out;
}

/** The fields of a rule for the process log. */
export function describe(r: AdminRule): Record<string, unknown> {
  const { bounced: _b, ...rest } = r as BounceRule;
  return { ...rest, created: new Date(r.created).toISOString(), expires: new Date(r.expires).toISOString() };
}
