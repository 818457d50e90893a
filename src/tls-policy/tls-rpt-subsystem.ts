import { request, Agent } from 'undici';
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

export interface TlsRptDeps {
  /** reception (spool + queue) for mailto: reports; known once the SMTP subsystem started */
  readonly reception: () => ReceptionDeps | undefined;
}

/**
 * Owns the TLS policy engine the queue decides with, and TLS reporting (RFC 8460): counts from
 * every policy session, and when a period ends one aggregate report per policy domain to the
 * rua of `_smtp._tls.<domain>` — mailto: through our own reception and queue, https: by POST of
 * the gzipped JSON. At most max_reports_per_period per period; the rest wait for the next.
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
    this.sending = this.sendClosed().catch((e: unknown) => this.log?.error('tls-rpt: sending failed', { error: String(e) })).finally(() => (this.sending = undefined));
  }

  private async sendClosed(): Promise<void> {
    const periods = this.counters.takeClosed();
    if (!periods.length) return;
    const snap = this.store!.current;
    const t = snap.main.tlsPolicy.tlsRpt;
    const resolver = createResolver(snap.main.dns, new Reporter()).resolver;
    const left: ClosedPeriod[] = [];
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
        await this.sendOne(resolver, domain, p, policies);
      }
      if (Object.keys(rest).length) left.push({ ...p, domains: rest });
    }
    if (left.length) {
      this.log?.warn('tls-rpt: report limit reached; the rest waits for the next period', { waiting: left.reduce((n, p) => n + Object.keys(p.domains).length, 0) });
      this.counters.putBack(left);
    }
  }

  private async sendOne(resolver: Resolver, domain: string, p: ClosedPeriod, policies: ClosedPeriod['domains'][string]): Promise<void> {
    const snap = this.store!.current;
    const s = snap.main.tlsPolicy;
    let rua: string[] | undefined;
    try {
      rua = parseTlsRptTxt(await resolver.txt(`_smtp._tls.${domain}`));
    } catch {
      rua = undefined;
    }
    if (!rua) return void this.log?.info('tls-rpt: no TLSRPTv1 record, no report', { domain });
    const report = buildReport({ organizationName: s.tlsRpt.organizationName, contactInfo: s.tlsRpt.contactInfo, start: p.start, end: p.end }, policies);
    const gz = gzipReport(report.json);
    for (const uri of rua) {
      try {
        if (uri.toLowerCase().startsWith('mailto:')) await this.mail(uri.slice(7), domain, report.id, gz, p);
        else await this.post(resolver, uri, gz);
        this.log?.info('tls-rpt: report sent', { domain, rua: uri, reportId: report.id });
      } catch (e) {
        this.log?.warn('tls-rpt: report not sent', { domain, rua: uri, error: String((e as Error).message ?? e) });
      }
    }
  }

  private async mail(to: string, domain: string, reportId: string, gz: Buffer, p: ClosedPeriod): Promise<void> {
    const reception = this.deps.reception();
    if (!reception) throw new Error('no reception (SMTP subsystem not running)');
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
    if (!res.ok) throw new Error(res.reply);
  }

  private async post(resolver: Resolver, url: string, gz: Buffer): Promise<void> {
    const s = this.store!.current.main.tlsPolicy;
    const agent = new Agent({ connect: { ca: trustedCas(s.extraCa), lookup: resolverLookup(resolver) } });
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        body: gz,
        headers: { 'content-type': 'application/tlsrpt+gzip' },
        signal: AbortSignal.timeout(s.tlsRpt.httpsTimeoutMs),
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`HTTP ${res.statusCode}`);
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
