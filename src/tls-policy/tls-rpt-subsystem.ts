import { undici } from '../net/undici.js';
import type { ConfigStore } from '../config/store.js';
import { Reporter } from '../config/report.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../logging/logger.js';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { LISTENER_DEFAULTS } from '../smtp/listener-config.js';
import { receiveMessage } from '../smtp/reception.js';
import type { ReceptionDeps } from '../smtp/reception.js';
import { TlsPolicyEngine } from './decide.js';
import { resolverLookup, trustedCas } from './mta-sts-fetch.js';
import { TlsRptCounters } from './tls-rpt.js';
import type { ClosedPeriod } from './tls-rpt.js';
import { buildReport, gzipReport, parseTlsRptTxt, reportMessage } from './tls-rpt-report.js';
import { nextTry, ReportSendError, statusError } from './tls-rpt-outbox.js';
import type { OutboxEntry } from './tls-rpt-outbox.js';

export interface TlsRptDeps {
  /** reception (spool + queue) for mailto: reports; known once the SMTP subsystem started */
  readonly reception: () => ReceptionDeps | undefined;
}

/**
 * Owns the TLS policy engine the queue decides with, and TLS reporting (RFC 8460): counts from
 * every policy session, and when a period ends one aggregate report per policy domain to the
 * rua of `_smtp._tls.<domain>` — mailto: through our own reception and queue, https: by POST of
 * the gzipped JSON. At most max_reports_per_period per period; the rest wait for the next.
 * Built reports go through a persisted outbox: one that could not be handed over is tried
 * again with backoff (retry_interval, doubling) for up to retry_for.
 */
export class TlsRptSubsystem implements Subsystem {
  readonly name = 'tls-rpt';
  readonly engine: TlsPolicyEngine;
  private readonly counters: TlsRptCounters;
  private store: ConfigStore | undefined;
  private log: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private sentInPeriod = { period: 0, count: 0 };

  constructor(private readonly deps: TlsRptDeps) {
    const warn = (what: string, e: unknown) => this.log?.warn(what, { error: String((e as Error)?.message ?? e) });
    this.counters = new TlsRptCounters(() => {
      const t = this.store?.current.main.tlsPolicy.tlsRpt;
      return t ? { enabled: t.enabled, periodMs: t.periodMs, stateFile: t.stateFile } : { enabled: false, periodMs: 86_400_000, stateFile: '' };
    }, warn);
    this.engine = new TlsPolicyEngine(this.counters, warn);
  }

  async start(ctx: RuntimeContext): Promise<void> {
    this.store = ctx.store;
    this.log = ctx.log.child({ subsystem: 'tls-rpt' });
    this.arm();
  }

  apply(): void {
    this.engine.clear();
    this.arm();
  }

  private arm(): void {
    clearInterval(this.timer);
    const t = this.store!.current.main.tlsPolicy.tlsRpt;
    if (!t.enabled) return;
    this.timer = setInterval(() => this.tick(), Math.max(500, Math.min(t.periodMs / 4, 60_000)));
    this.timer.unref();
  }

  private tick(): void {
    if (this.sending) return;
    this.sending = this.sendClosed()
      .then(() => this.sendDue())
      .catch((e: unknown) => this.log?.error('tls-rpt: sending failed', { error: String(e) }))
      .finally(() => (this.sending = undefined));
  }

  /** Builds the reports of the periods that ended and puts them in the outbox (persisted). */
  private async sendClosed(): Promise<void> {
    const periods = this.counters.takeClosed();
    if (!periods.length) return;
    const snap = this.store!.current;
    const t = snap.main.tlsPolicy.tlsRpt;
    const resolver = createResolver(snap.main.dns, new Reporter()).resolver;
    const left: ClosedPeriod[] = [];
    const out: OutboxEntry[] = [];
    const period = Math.floor(Date.now() / t.periodMs);
    if (this.sentInPeriod.period !== period) this.sentInPeriod = { period, count: 0 };
    for (const p of periods) {
      const rest: ClosedPeriod['domains'] = {};
      for (const [domain, policies] of Object.entries(p.domains)) {
        if (this.sentInPeriod.count >= t.maxReportsPerPeriod) {
          rest[domain] = policies;
          continue;
        }
        this.sentInPeriod.count++;
        out.push(...(await this.build(resolver, domain, p, policies)));
      }
      if (Object.keys(rest).length) left.push({ ...p, domains: rest });
    }
    if (left.length) {
      this.log?.warn('tls-rpt: report limit reached; the rest waits for the next period', { waiting: left.reduce((n, p) => n + Object.keys(p.domains).length, 0) });
      this.counters.putBack(left);
    }
    const dropped = await this.counters.enqueue(out);
    if (dropped) this.log?.warn('tls-rpt: too many reports waiting; the oldest were dropped', { dropped });
  }

  /** One outbox entry per rua of the domain's _smtp._tls record (none without a record). */
  private async build(resolver: Resolver, domain: string, p: ClosedPeriod, policies: ClosedPeriod['domains'][string]): Promise<OutboxEntry[]> {
    const s = this.store!.current.main.tlsPolicy;
    let rua: string[] | undefined;
    try {
      rua = parseTlsRptTxt(await resolver.txt(`_smtp._tls.${domain}`));
    } catch {
      rua = undefined;
    }
    if (!rua) {
      this.log?.info('tls-rpt: no TLSRPTv1 record, no report', { domain });
      return [];
    }
    const report = buildReport({ organizationName: s.tlsRpt.organizationName, contactInfo: s.tlsRpt.contactInfo, start: p.start, end: p.end }, policies);
    const gz = gzipReport(report.json).toString('base64');
    const now = Date.now();
    return rua.map((uri) => ({ domain, uri, reportId: report.id, gz, start: p.start, end: p.end, firstAt: now, attempts: 0, nextAt: now }));
  }

  /** Hands over the due reports; a transient failure is tried again later (nextTry), within retry_for. */
  private async sendDue(): Promise<void> {
    const due = this.counters.due(Date.now());
    if (!due.length) return;
    const snap = this.store!.current;
    const t = snap.main.tlsPolicy.tlsRpt;
    const resolver = createResolver(snap.main.dns, new Reporter()).resolver;
    for (const e of due) {
      const what = { domain: e.domain, rua: e.uri, reportId: e.reportId, attempt: e.attempts + 1 };
      try {
        const gz = Buffer.from(e.gz, 'base64');
        if (e.uri.toLowerCase().startsWith('mailto:')) await this.mail(e.uri.slice(7), e.domain, e.reportId, gz, e);
        else await this.post(resolver, e.uri, gz);
        this.counters.settle(e, true);
        this.log?.info('tls-rpt: report sent', what);
      } catch (err) {
        const error = String((err as Error).message ?? err);
        e.attempts++;
        e.lastError = error;
        const next = err instanceof ReportSendError && err.permanent ? undefined : nextTry(e, Date.now(), t.retryIntervalMs, t.retryForMs);
        if (next === undefined) {
          this.counters.settle(e, true);
          this.log?.warn(err instanceof ReportSendError && err.permanent ? 'tls-rpt: report not sent (final)' : 'tls-rpt: report not sent; retry_for is over, dropped', { ...what, error });
        } else {
          e.nextAt = next;
          this.counters.settle(e, false);
          this.log?.warn('tls-rpt: report not sent; will retry', { ...what, error, retry_at: new Date(next).toISOString() });
        }
      }
    }
  }

  private async mail(to: string, domain: string, reportId: string, gz: Buffer, p: { start: number; end: number }): Promise<void> {
    const reception = this.deps.reception();
    if (!reception) throw new ReportSendError('no reception (SMTP subsystem not running)', false);
    const snap = this.store!.current;
    const t = snap.main.tlsPolicy.tlsRpt;
    const data = reportMessage({ from: t.sender, to, domain, submitter: t.organizationName, reportId, gz, start: p.start, end: p.end });
    const res = await receiveMessage(reception, {
      data,
      sender: t.sender,
      recipients: [decodeURIComponent(to.split('?')[0])],
      reportOnly: [],
      listener: { name: 'tls-rpt', hostname: snap.main.hostname, traceHeaders: { received: false, supplemental: false, headerName: LISTENER_DEFAULTS.supplementalHeader }, deferredSpool: false },
      peer: { ip: '127.0.0.1' },
      protocol: 'ESMTP',
      transmission: 'ESMTP',
    });
    if (!res.ok) throw new ReportSendError(res.reply, res.reason !== 'spool');
  }

  private async post(resolver: Resolver, url: string, gz: Buffer): Promise<void> {
    const s = this.store!.current.main.tlsPolicy;
    const agent = new (undici().Agent)({ connect: { ca: trustedCas(s.extraCa), lookup: resolverLookup(resolver) } });
    try {
      const res = await undici().request(url, {
        method: 'POST',
        dispatcher: agent,
        body: gz,
        headers: { 'content-type': 'application/tlsrpt+gzip' },
        signal: AbortSignal.timeout(s.tlsRpt.httpsTimeoutMs),
      });
      await res.body.dump();
      const bad = statusError(res.statusCode);
      if (bad) throw bad;
    } finally {
      void agent.close().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    await this.counters.flush();
  }
}
