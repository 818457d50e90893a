import type { ConfigStore } from '../config/store.js';
import { signAtReception } from '../dkim/sign.js';
import type { Logger } from '../logging/logger.js';
import type { LogRecord, LogWriter } from '../logging/types.js';
import type { QueueIntake } from '../queue/types.js';
import { newSpoolId } from '../spool/spool-id.js';
import type { Spool, SpoolMeta } from '../spool/types.js';
import type { ListenerSettings } from './listener-config.js';
import { takeHeaders } from './message-headers.js';
import { parseReport } from './reports.js';
import { domainOf } from './relay-policy.js';
import { receivedHeader, supplementalHeader } from './trace-headers.js';

export interface ReceptionDeps {
  readonly store: ConfigStore;
  readonly spool: Spool;
  readonly records?: LogWriter;
  /** the queue's intake, when a queue subsystem runs */
  readonly intake: () => QueueIntake | undefined;
  readonly log: Logger;
}

/** A message whose DATA has been read, with the envelope and session facts reception needs. */
export interface IncomingMessage {
  readonly data: Buffer;
  readonly sender: string;
  /** recipients to spool and relay */
  readonly recipients: readonly string[];
  /** recipients accepted only to log an OOB/ARF report (not relayed) */
  readonly reportOnly: readonly string[];
  readonly listener: ListenerSettings;
  readonly peer: { readonly ip: string; readonly helo?: string; readonly ptr?: string };
  readonly tls?: { readonly version: string; readonly cipher: string };
  readonly authUser?: string;
  /** from the opening command: EHLO → ESMTP, HELO → SMTP */
  readonly protocol: 'ESMTP' | 'SMTP';
  /** Received "with" keyword: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA */
  readonly transmission: string;
  /** a recipient domain logs OOB bounces / ARF reports (listener_domains log_oob / log_arf) */
  readonly reports?: { readonly oob: boolean; readonly arf: boolean };
}

export type ReceptionResult = { ok: true; id: string; reply: string } | { ok: false; code: number; reply: string };

/**
 * Reception after DATA: tenant/campaign headers are read (and removed), the trace headers
 * added, the message DKIM-signed, durably spooled, handed to the queue, and logged. The
 * caller replies with `reply` (250 only after the spool write is on disk).
 */
export async function receiveMessage(deps: ReceptionDeps, m: IncomingMessage): Promise<ReceptionResult> {
  const snapshot = deps.store.current;
  const id = newSpoolId();
  const receivedAt = Date.now();
  const q = snapshot.queues;

  // tenant / campaign
  const wanted: { name: string; remove: boolean }[] = [];
  if (q.tenantHeader) wanted.push({ name: q.tenantHeader, remove: q.removeTenantHeader ?? true });
  if (q.campaignHeader) wanted.push({ name: q.campaignHeader, remove: q.removeCampaignHeader ?? true });
  const taken = takeHeaders(m.data, wanted);
  const tenant = (q.tenantHeader && taken.values.get(q.tenantHeader.toLowerCase())) || q.defaultTenant || undefined;
  const campaign = (q.campaignHeader && taken.values.get(q.campaignHeader.toLowerCase())) || undefined;
  const allowed = tenant !== undefined ? q.tenants?.get(tenant)?.requireAuthz : undefined;
  if (allowed && (m.authUser === undefined || !allowed.includes(m.authUser)))
    return { ok: false, code: 550, reply: `5.7.1 not authorized to send for tenant "${tenant}"` };

  // trace headers
  const th = m.listener.traceHeaders;
  let trace = '';
  if (th.received)
    trace += receivedHeader({
      helo: m.peer.helo, ptr: m.peer.ptr, ip: m.peer.ip, by: m.listener.hostname, protocol: m.transmission,
      tlsVersion: m.tls?.version, tlsCipher: m.tls?.cipher, id,
      for: m.recipients.length + m.reportOnly.length === 1 ? (m.recipients[0] ?? m.reportOnly[0]) : undefined,
      date: new Date(receivedAt),
    });
  if (th.supplemental) trace += supplementalHeader(th.headerName, id);
  let message = trace ? Buffer.concat([Buffer.from(trace, 'latin1'), taken.message]) : taken.message;

  // DKIM
  const dkim = await signAtReception(snapshot, message);
  if (dkim.action === 'defer') {
    deps.log.warn('message deferred at reception: DKIM signing not possible', { id, reason: dkim.reason, listener: m.listener.name });
    return { ok: false, code: 451, reply: '4.3.0 temporary failure, please try again later' };
  }
  for (const s of dkim.skipped ?? []) deps.log.warn(`sent unsigned: ${s}`, { id });
  if (dkim.action === 'signed') message = Buffer.concat([Buffer.from(dkim.headers, 'latin1'), message]);

  const meta: SpoolMeta = {
    id,
    sender: m.sender,
    recipients: m.recipients.map((address) => ({ address, status: 'pending' as const })),
    receivedAt,
    size: message.length,
    ...(tenant !== undefined ? { tenant } : {}),
    ...(campaign !== undefined ? { campaign } : {}),
    reception: {
      protocol: m.protocol,
      listener: m.listener.name,
      peer: m.peer.ip,
      ...(m.authUser !== undefined ? { authUser: m.authUser } : {}),
      ...(m.tls ? { tls: `${m.tls.version}:${m.tls.cipher}` } : {}),
    },
    attempts: 0,
    due: 0,
    ...(m.peer.helo ? { extra: { helo: m.peer.helo } } : {}),
  };

  if (meta.recipients.length) {
    try {
      await deps.spool.put(meta, message, { deferred: m.listener.deferredSpool });
    } catch (e) {
      deps.log.error('spool write failed; message refused with 451', { id, error: (e as Error).message });
      return { ok: false, code: 451, reply: '4.3.0 temporary failure, please try again later' };
    }
    const intake = deps.intake();
    if (intake) {
      try {
        intake.enqueue(meta);
      } catch (e) {
        // it is spooled: the queue finds it again at the next start
        deps.log.error('queue intake failed for a spooled message', { id, error: (e as Error).message });
      }
    }
  }

  const reply = `2.0.0 OK id=${id}`;
  deps.records?.write(receptionRecord(m, meta, reply));
  if (deps.records && (m.reports?.oob || m.reports?.arf)) for (const r of reportRecords(m, meta)) deps.records.write(r);
  return { ok: true, id, reply };
}

/** OOB / Feedback records for a report accepted for a log_oob / log_arf domain. */
function reportRecords(m: IncomingMessage, meta: SpoolMeta): LogRecord[] {
  const report = parseReport(m.data, [...new Set([m.listener.traceHeaders.headerName, 'X-KumoRef'])]);
  if (!report) return [];
  const base = {
    sender: m.sender,
    site: '',
    size: m.data.length,
    peer_address: { name: m.peer.helo ?? '', addr: m.peer.ip },
    timestamp: Date.now() / 1000,
    created: meta.receivedAt / 1000,
    reception_protocol: m.transmission,
  };
  if (report.kind === 'delivery-status' && m.reports?.oob) {
    return report.recipients.map((r) => {
      const code = /^([245]\d\d)\b/.exec(r.diagnostic ?? '')?.[1];
      const st = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(r.status ?? '');
      return {
        type: 'OOB' as const,
        id: report.originalId ?? meta.id,
        recipient: r.recipient,
        ...base,
        response: {
          code: code ? Number(code) : st?.[1] === '5' || r.action === 'failed' ? 550 : 450,
          enhanced_code: st ? { class: Number(st[1]), subject: Number(st[2]), detail: Number(st[3]) } : null,
          content: r.diagnostic ?? '',
          command: null,
        },
        meta: { listener: m.listener.name, report_id: meta.id, action: r.action, reporting_mta: report.reportingMta, remote_mta: r.remoteMta },
      };
    });
  }
  if (report.kind === 'feedback-report' && m.reports?.arf) {
    return [{
      type: 'Feedback',
      id: report.originalId ?? meta.id,
      recipient: report.fields['original-rcpt-to'] ?? '',
      ...base,
      response: { code: 200, enhanced_code: null, content: report.feedbackType ?? '', command: null },
      meta: { listener: m.listener.name, report_id: meta.id, feedback: report.fields },
    }];
  }
  return [];
}

function queueName(domain: string, tenant?: string, campaign?: string): string {
  return `${campaign !== undefined ? `${campaign}:` : ''}${tenant !== undefined ? `${tenant}@` : ''}${domain}`;
}

function receptionRecord(m: IncomingMessage, meta: SpoolMeta, reply: string): LogRecord {
  const all = [...m.recipients, ...m.reportOnly];
  return {
    type: 'Reception',
    id: meta.id,
    sender: meta.sender,
    recipient: all.length === 1 ? all[0]! : all,
    queue: all.length === 1 ? queueName(domainOf(all[0]!), meta.tenant, meta.campaign) : undefined,
    site: '',
    size: meta.size,
    response: { code: 250, enhanced_code: { class: 2, subject: 0, detail: 0 }, content: reply.replace(/^2\.0\.0 /, ''), command: null },
    peer_address: { name: m.peer.helo ?? '', addr: m.peer.ip },
    timestamp: meta.receivedAt / 1000,
    created: meta.receivedAt / 1000,
    num_attempts: 0,
    egress_pool: null,
    egress_source: null,
    tls_cipher: m.tls?.cipher ?? null,
    tls_protocol_version: m.tls?.version ?? null,
    reception_protocol: m.transmission,
    tenant: meta.tenant ?? null,
    campaign: meta.campaign ?? null,
    meta: {
      listener: m.listener.name,
      ...(m.authUser !== undefined ? { authz_id: m.authUser } : {}),
      ...(m.reportOnly.length ? { report_only: m.reportOnly } : {}),
      ...(m.listener.deferredSpool ? { deferred_spool: true } : {}),
    },
  };
}
