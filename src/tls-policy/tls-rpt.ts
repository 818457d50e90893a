import { readFileSync } from 'node:fs';
import { writeFileDurable } from '../fs/durable-write.js';
import type { PolicyRecorder } from './decide.js';
import type { RouteTlsPolicy, SessionOutcome, TlsRptResultType } from './route-policy.js';
import type { PolicyCounts } from './tls-rpt-report.js';
import { OUTBOX_MAX } from './tls-rpt-outbox.js';
import type { OutboxEntry } from './tls-rpt-outbox.js';

/** A closed period waiting to be reported. */
export interface ClosedPeriod {
  readonly start: number;
  readonly end: number;
  /** by domain */
  readonly domains: Record<string, PolicyCounts[]>;
}

interface State {
  version: 1;
  periodStart: number;
  periodMs: number;
  current: Record<string, PolicyCounts>;
  closed: ClosedPeriod[];
  /** reports built and waiting to be handed over (absent in files of older versions) */
  outbox: OutboxEntry[];
}

export interface TlsRptConfig {
  readonly enabled: boolean;
  readonly periodMs: number;
  readonly stateFile: string;
}

/**
 * TLS-RPT counts (RFC 8460): per policy domain and policy type, the sessions that met the
 * policy and those that failed, with failure details by result type, sending and receiving
 * address. Periods are aligned to `period` (a day: UTC midnight); a period that ends is set
 * aside for the sender. The counts, and the built reports waiting to be handed over (the
 * outbox, tls-rpt-outbox.ts), live in RAM and are written (atomically, debounced) to the state
 * file, so a restart loses none.
 */
export class TlsRptCounters implements PolicyRecorder {
  private state: State | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: () => TlsRptConfig,
    private readonly onError: (what: string, e: unknown) => void = () => undefined,
    private readonly now = () => Date.now(),
  ) {}

  private load(c: TlsRptConfig): State {
    if (this.state) return this.state;
    const start = Math.floor(this.now() / c.periodMs) * c.periodMs;
    let s: State = { version: 1, periodStart: start, periodMs: c.periodMs, current: {}, closed: [], outbox: [] };
    try {
      const raw = JSON.parse(readFileSync(c.stateFile, 'utf8')) as State;
      if (raw.version === 1 && typeof raw.periodStart === 'number' && raw.current && Array.isArray(raw.closed)) s = { ...raw, outbox: Array.isArray(raw.outbox) ? raw.outbox : [] };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`TLS-RPT state ${c.stateFile} unreadable, starting empty`, e);
    }
    this.state = s;
    return s;
  }

  /** Closes the current period when its time is up (or the period length changed). */
  roll(): State | undefined {
    const c = this.config();
    if (!c.enabled) return undefined;
    const s = this.load(c);
    const now = this.now();
    if (now >= s.periodStart + s.periodMs || s.periodMs !== c.periodMs) {
      const end = Math.min(now, s.periodStart + s.periodMs);
      if (Object.keys(s.current).length) {
        const domains: Record<string, PolicyCounts[]> = {};
        for (const p of Object.values(s.current)) (domains[p.domain] ??= []).push(p);
        s.closed.push({ start: s.periodStart, end, domains });
      }
      s.current = {};
      s.periodMs = c.periodMs;
      s.periodStart = Math.floor(now / c.periodMs) * c.periodMs;
      this.scheduleSave();
    }
    return s;
  }

  private counts(domain: string, policyType: PolicyCounts['policyType'], policyString: readonly string[], mx: readonly string[]): PolicyCounts | undefined {
    const s = this.roll();
    if (!s) return undefined;
    const key = `${domain}|${policyType}`;
    const p = (s.current[key] ??= { domain, policyType, policyString: [], mxHost: [], success: 0, failure: 0, details: {} });
    if (policyString.length) p.policyString = [...policyString];
    if (mx.length) p.mxHost = [...mx];
    this.scheduleSave();
    return p;
  }

  private fail(p: PolicyCounts, type: TlsRptResultType, o: { sendingIp?: string; mxHost?: string; receivingIp?: string; info?: string }): void {
    p.failure++;
    const k = `${type}|${o.sendingIp ?? ''}|${o.mxHost ?? ''}|${o.receivingIp ?? ''}`;
    const d = (p.details[k] ??= { type, ...o, count: 0 });
    d.count++;
  }

  recorder(policy: Omit<RouteTlsPolicy, 'record'>): (o: SessionOutcome) => void {
    const type = policy.kind === 'dane' ? 'tlsa' : 'sts';
    return (o) => {
      const p = this.counts(policy.domain, type, policy.policyString, policy.mx ?? []);
      if (!p) return;
      if (o.ok) p.success++;
      else this.fail(p, o.type ?? 'validation-failure', { sendingIp: o.sendingIp, mxHost: o.mxHost, receivingIp: o.receivingIp, info: o.text });
    };
  }

  policyFailure(domain: string, kind: 'sts' | 'tlsa' | 'no-policy-found', type: TlsRptResultType, text: string): void {
    const p = this.counts(domain, kind, [], []);
    if (p) this.fail(p, type, { info: text });
  }

  /** Takes the closed periods out (the sender puts back what it could not send). */
  takeClosed(): ClosedPeriod[] {
    const s = this.roll();
    if (!s) return [];
    const out = s.closed;
    s.closed = [];
    if (out.length) this.scheduleSave();
    return out;
  }

  putBack(periods: ClosedPeriod[]): void {
    const s = this.roll();
    if (!s || !periods.length) return;
    s.closed.unshift(...periods);
    this.scheduleSave();
  }

  /**
   * Adds reports to hand over and writes the state at once (with the closed periods they were
   * built from already taken out): from here on a crash or restart keeps them. Returns how
   * many old ones had to be dropped to stay within OUTBOX_MAX.
   */
  async enqueue(entries: readonly OutboxEntry[]): Promise<number> {
    const s = this.roll();
    if (!s) return 0;
    s.outbox.push(...entries);
    const dropped = Math.max(0, s.outbox.length - OUTBOX_MAX);
    if (dropped) s.outbox.splice(0, dropped);
    await this.flush();
    return dropped;
  }

  /** The reports whose next try is due (they stay in the outbox until settled). */
  due(now: number): OutboxEntry[] {
    const s = this.roll();
    return s ? s.outbox.filter((e) => e.nextAt <= now) : [];
  }

  /** A try is over: `done` removes the entry, otherwise its new attempts/nextAt are saved. */
  settle(entry: OutboxEntry, done: boolean): void {
    const s = this.roll();
    if (!s) return;
    if (done) s.outbox = s.outbox.filter((e) => e !== entry);
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.flush();
    }, 1000);
    this.saveTimer.unref();
  }

  /** Writes the state now (stop). */
  flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const s = this.state;
    if (!s) return this.saving;
    const file = this.config().stateFile;
    const text = JSON.stringify(s) + '\n';
    this.saving = this.saving.then(() => writeFileDurable(file, text, 0o600).catch((e: unknown) => this.onError(`TLS-RPT state ${file} could not be written`, e)));
    return this.saving;
  }
}
