import { receptionLatency } from '../metrics/latency.js';
import type { ConfigStore } from '../config/store.js';
import { signAtReception } from '../dkim/sign.js';
import type { Logger } from '../logging/logger.js';
import type { LogRecord, LogWriter } from '../logging/types.js';
import { captureHeaders } from '../logging/header-capture.js';
import { nodeIdFor } from '../logging/node-id.js';
import { capturedOf, logRecord, messageMeta, writeRecords } from '../logging/record-fields.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { Snapshot } from '../config/snapshot.js';
import { queueParams } from '../config/queues.js';
import { domainOf as queueDomainOf } from '../queue/job.js';
import { namePartProblem, queueName } from '../queue/naming.js';
import { nextAllowed, parseSchedule, ScheduleError, storeSchedule } from '../queue/schedule.js';
import type { Schedule } from '../queue/schedule.js';
import type { QueueIntake } from '../queue/types.js';
import { SpoolError } from '../spool/errors.js';
import { newSpoolId } from '../spool/spool-id.js';
import type { Spool, SpoolMeta } from '../spool/types.js';
import type { MessageBuffer } from './data-buffer.js';
import { crlfOnly } from './data-normalize.js';
import type { TraceHeaderSettings } from './listener-config.js';
import { headerEnd, takeHeaders } from './message-headers.js';
import { oobResponse, parseReport } from './reports.js';
import type { ArfReport } from './arf-report.js';
import { spoolWrites } from './spool-write-gate.js';
import { receivedHeader, supplementalHeader } from './trace-headers.js';

export interface ReceptionDeps {
  readonly store: ConfigStore;
  readonly spool: Spool;
  readonly records?: LogWriter;
  /** the Reception record stored with the message's spool write (one fsync for both) */
  readonly journal?: RecordJournal;
  /** the queue's intake, when a queue subsystem runs */
  readonly intake: () => QueueIntake | undefined;
  readonly log: Logger;
}

/**
 * The listener a message came in on, as reception needs it: an SMTP listener's settings
 * (ListenerSettings has these fields) or the HTTP API's inject listener (src/inject/).
 */
export interface ReceptionListener {
  /** logged as the message's `listener` meta */
  readonly name: string;
  /** our host name in the Received header */
  readonly hostname: string;
  readonly traceHeaders: TraceHeaderSettings;
  /** RAM-only until the first transient failure (the listener's or the request's opt-in) */
  readonly deferredSpool: boolean;
}

/**
 * Where a message came from: the listener, the peer and the protocol facts. An SMTP session
 * builds it per message; an HTTP inject request once for all the messages it generates.
 */
export type ReceptionSource = Pick<IncomingMessage, 'listener' | 'peer' | 'tls' | 'authUser' | 'protocol' | 'transmission' | 'sessionId'>;

/** A message whose DATA has been read (or that an inject request generated), with the envelope and source facts reception needs. */
export interface IncomingMessage {
  /** the message as received; with `buffer`, no longer valid once receiveMessage returns */
  readonly data: Buffer;
  /** length of the header block including its blank line, when DATA reading found it */
  readonly headerLength?: number;
  /**
   * the buffer `data` lies in, with room in front: the new header (trace headers, DKIM-Signature,
   * removed tenant/campaign fields) is written there in place, and the body is never copied
   */
  readonly buffer?: MessageBuffer;
  /** every line of `data` ends in CRLF, no bare CR or LF (the SMTP DATA normaliser's output) */
  readonly crlf?: boolean;
  readonly sender: string;
  /** recipients to spool and relay */
  readonly recipients: readonly string[];
  /** recipients accepted only to log an OOB/ARF report (not relayed) */
  readonly reportOnly: readonly string[];
  readonly listener: ReceptionListener;
  readonly peer: { readonly ip: string; readonly helo?: string; readonly ptr?: string };
  readonly tls?: { readonly version: string; readonly cipher: string };
  readonly authUser?: string;
  /** from the opening command: EHLO → ESMTP, HELO → SMTP; HTTP for the inject API */
  readonly protocol: 'ESMTP' | 'SMTP' | 'HTTP';
  /** Received "with" keyword: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA; HTTP, HTTPS */
  readonly transmission: string;
  /** a recipient domain logs OOB bounces / ARF reports (listener_domains log_oob / log_arf) */
  readonly reports?: { readonly oob: boolean; readonly arf: boolean; /** recipients whose domain has log_arf */ readonly arfRecipients?: readonly string[] };
  /** MAIL FROM carried SMTPUTF8 (RFC 6531): never relayed to a server without it */
  readonly smtputf8?: boolean;
  /** the inbound session's UUID (KumoMTA's session_id, the smtp-server connection id; src/logging/session-id.ts) */
  readonly sessionId?: string;
}

/**
 * `reason` of a refusal: `spool` (the spool is unavailable or failed), `dkim` (signing not
 * possible now), `authz` (not authorized for the tenant); the inject API maps them to HTTP.
 */
export type ReceptionResult = { ok: true; id: string; reply: string } | { ok: false; code: number; reply: string; reason: 'spool' | 'dkim' | 'authz' | 'schedule' | 'name' };

/**
 * Reception after DATA: tenant/campaign headers are read (and removed), the trace headers
 * added, the message DKIM-signed, durably spooled, handed to the queue, and logged. The
 * caller replies with `reply` (250 only after the spool write is on disk).
 */
export async function receiveMessage(deps: ReceptionDeps, m: IncomingMessage): Promise<ReceptionResult> {
  const snapshot = deps.store.current;
  const prepared = await prepareMessage(deps, snapshot, m);
  if (!prepared.ok) return prepared;
  return spoolPrepared(deps, snapshot, m, prepared);
}

/** A message ready for the spool: its envelope, its final bytes, and the records of a report it carries. */
export interface PreparedMessage {
  readonly meta: SpoolMeta;
  readonly message: Buffer;
  readonly reports: readonly LogRecord[];
}

export type ReceptionRefusal = Extract<ReceptionResult, { ok: false }>;

/**
 * Reception up to the spool write, shared by SMTP and the inject API's batches
 * (reception-batch.ts): tenant/campaign, trace headers, DKIM, the SpoolMeta, captured headers.
 */
export async function prepareMessage(deps: ReceptionDeps, snapshot: Snapshot, m: IncomingMessage): Promise<({ ok: true } & PreparedMessage) | ReceptionRefusal> {
  const id = newSpoolId();
  const receivedAt = Date.now();
  const q = snapshot.queues;

  // tenant / campaign
  const wanted: { name: string; remove: boolean }[] = [];
  if (q.tenantHeader) wanted.push({ name: q.tenantHeader, remove: q.removeTenantHeader ?? true });
  if (q.campaignHeader) wanted.push({ name: q.campaignHeader, remove: q.removeCampaignHeader ?? true });
  // KumoMTA's queue helper imports and removes it (import_scheduling_header(name, true))
  if (q.schedulingHeader) wanted.push({ name: q.schedulingHeader, remove: true });
  // the header is edited apart from the body: new header bytes + the body as received
  const headLength = m.headerLength ?? headerEnd(m.data);
  const body = m.data.subarray(headLength);
  const received = m.data.subarray(0, headLength);
  const taken = takeHeaders(received, wanted);
  const tenant = (q.tenantHeader && taken.values.get(q.tenantHeader.toLowerCase())) || q.defaultTenant || undefined;
  const campaign = (q.campaignHeader && taken.values.get(q.campaignHeader.toLowerCase())) || undefined;
  for (const [header, v] of [[q.tenantHeader, tenant], [q.campaignHeader, campaign]] as const) {
    const problem = header && v !== undefined && taken.values.has(header.toLowerCase()) ? namePartProblem(v) : undefined;
    if (problem) return { ok: false, code: 550, reply: `5.6.0 invalid ${header} header: the value ${problem}`, reason: 'name' };
  }
  let schedule: Schedule | undefined;
  const scheduleText = q.schedulingHeader ? taken.values.get(q.schedulingHeader.toLowerCase()) : undefined;
  if (scheduleText !== undefined) {
    try {
      schedule = parseSchedule(scheduleText);
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      return { ok: false, code: 550, reply: `5.6.0 invalid ${q.schedulingHeader} header: ${e.message}`, reason: 'schedule' };
    }
  }
  const allowed = tenant !== undefined ? q.tenants?.get(tenant)?.requireAuthz : undefined;
  if (allowed && (m.authUser === undefined || !allowed.includes(m.authUser)))
    return { ok: false, code: 550, reply: `5.7.1 not authorized to send for tenant "${tenant}"`, reason: 'authz' };

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
  let head = trace ? Buffer.concat([Buffer.from(trace, 'latin1'), taken.message]) : taken.message;

  // DKIM: the header without its blank line, and the body where it lies
  const dkim = await signAtReception(snapshot, { header: withoutBlankLine(head), body });
  if (dkim.action === 'defer') {
    deps.log.warn('message deferred at reception: DKIM signing not possible', { id, reason: dkim.reason, listener: m.listener.name });
    return { ok: false, code: 451, reply: '4.3.0 temporary failure, please try again later', reason: 'dkim' };
  }
  for (const s of dkim.skipped ?? []) deps.log.warn(`sent unsigned: ${s}`, { id });
  if (dkim.action === 'signed') head = Buffer.concat([Buffer.from(dkim.headers, 'latin1'), head]);

  const meta: SpoolMeta = {
    id,
    sender: m.sender,
    recipients: m.recipients.map((address) => ({ address, status: 'pending' as const })),
    receivedAt,
    size: head.length + body.length,
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
    // first_attempt, moved into the delivery window (0: at once)
    due: schedule?.firstAttempt !== undefined || schedule?.window ? nextAllowed(schedule, Math.max(receivedAt, schedule.firstAttempt ?? 0)) : 0,
  };
  const stored = schedule && storeSchedule(schedule);
  if (stored) meta.extra = { schedule: stored };
  // delivery's dot-stuffing takes a shortcut for CRLF-only messages (src/delivery/dot-stuff.ts):
  // the body is, and the header fields written here are checked
  const crlf = m.crlf === true && crlfOnly(head);
  if (m.peer.helo || m.smtputf8 || crlf) meta.extra = { ...meta.extra, ...(m.peer.helo ? { helo: m.peer.helo } : {}), ...(m.smtputf8 ? { smtputf8: true } : {}), ...(crlf ? { crlf: true } : {}) };

  // [logs] headers: captured from the header as spooled, kept with the message for every record
  const captured = captureHeaders(head, snapshot.main.logs.headers);
  if (captured) meta.extra = { ...meta.extra, headers: captured };
  // report records read the message as received: before its header is rewritten in place
  const reports = deps.records && (m.reports?.oob || m.reports?.arf) ? reportRecords(m, meta, snapshot) : [];
  const message = m.buffer ? m.buffer.replaceHead(headLength, head)
    : head === received ? m.data : Buffer.concat([head, body]);
  return { ok: true, meta, message, reports };
}

/** One message's spool write, queue intake and records (receiveMessage after prepareMessage). */
async function spoolPrepared(deps: ReceptionDeps, snapshot: Snapshot, m: IncomingMessage, { meta, message, reports }: PreparedMessage): Promise<ReceptionResult> {
  const id = meta.id;

  // the Reception record goes into the spool's transaction (on disk with the message, before
  // the 250) and to the log file right after it
  const journaled = deps.journal && deps.records && meta.recipients.length && !m.listener.deferredSpool ? deps.journal : undefined;
  const staged = journaled?.stage(receptionRecord(m, meta, snapshot, reports));
  const entry = staged && journaled!.entry(id, staged);
  if (meta.recipients.length) {
    // large bodies reach lmdb a few at a time: it holds a copy of each until its commit
    const done = m.listener.deferredSpool ? () => undefined : await spoolWrites.acquire(message.length);
    try {
      await deps.spool.put(meta, message, { deferred: m.listener.deferredSpool, ...(entry ? { journal: entry } : {}) });
    } catch (e) {
      // a full or failing spool is logged by the spool's health, once per interval, not per message
      if (e instanceof SpoolError) return { ok: false, code: 451, reply: '4.3.0 spool unavailable, please try again later', reason: 'spool' };
      /* c8 ignore start -- LmdbSpool reports every write failure as a SpoolError; this is for a native lmdb throw */
      deps.log.error('spool write failed; message refused with 451', { id, error: (e as Error).message });
      return { ok: false, code: 451, reply: '4.3.0 temporary failure, please try again later', reason: 'spool' };
      /* c8 ignore stop */
    } finally {
      done();
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

  if (meta.recipients.length) receptionLatency.observe({ protocol: m.protocol }, (Date.now() - meta.receivedAt) / 1000);
  const reply = `2.0.0 OK id=${id}`;
  // on disk before the 250: in the journal with the message (else group-synced here), a log
  // hook's copy in its event store; a log disk failure is logged by the writer and the record
  // retried: the message is spooled, so it is still accepted rather than duplicated
  if (staged) await journaled!.commit(staged, entry).catch(() => undefined);
  else if (deps.records) await writeRecords(deps.records, receptionRecord(m, meta, snapshot, reports), !!meta.recipients.length && !m.listener.deferredSpool).catch(() => undefined);
  return { ok: true, id, reply };
}

/** The header block without the blank line that ends it (what a DKIM signer calls the header). */
function withoutBlankLine(head: Buffer): Buffer {
  const n = head.length;
  if (n >= 2 && head[n - 2] === 0x0d && head[n - 1] === 0x0a && (n === 2 || head[n - 3] === 0x0a)) return head.subarray(0, n - 2);
  if (n >= 1 && head[n - 1] === 0x0a && (n === 1 || head[n - 2] === 0x0a)) return head.subarray(0, n - 1);
  return head;
}

/**
 * The records of a report accepted for a log_oob / log_arf domain, as KumoMTA writes them:
 * an ARF report is logged as a Feedback record (the parsed report in `feedback_report`) instead
 * of the Reception record of each log_arf recipient; an RFC 3464 report adds one OOB record per
 * recipient the report says `failed`. Read from the message as received (before its header is
 * rewritten in place).
 */
function reportRecords(m: IncomingMessage, meta: SpoolMeta, snapshot: Snapshot): LogRecord[] {
  const report = parseReport(m.data, [...new Set([m.listener.traceHeaders.headerName, 'X-KumoRef'])]);
  if (!report) return [];
  const nodeid = nodeIdFor(snapshot.main.spool.path);
  if (report.kind === 'feedback-report' && m.reports?.arf) {
    const arfRecipients = m.reports.arfRecipients ?? [...m.recipients, ...m.reportOnly];
    return arfRecipients.map((r) => receptionFields(m, meta, snapshot, r, 'Feedback', nodeid, report.arf));
  }
  if (report.kind !== 'delivery-status' || !m.reports?.oob) return [];
  // the report is addressed to the original message's envelope sender
  const sender = m.recipients[0] ?? m.reportOnly[0] ?? '';
  const queue = receptionQueue(snapshot, sender, meta);
  const now = Date.now();
  return report.recipients.filter((r) => r.action === 'failed').map((r) => {
    const { code, content } = oobResponse(r);
    const st = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(r.status ?? '');
    return logRecord({
      type: 'OOB',
      id: meta.id,
      sender,
      recipient: r.recipient,
      queue,
      site: '',
      size: 0,
      response: { code, enhanced_code: st ? { class: Number(st[1]), subject: Number(st[2]), detail: Number(st[3]) } : null, content, command: null },
      peer: { name: report.reportingMta ?? '', addr: m.peer.ip },
      at: r.lastAttempt ?? now,
      created: meta.receivedAt,
      attempts: 0,
      nodeid,
      meta: { ...messageMeta(meta), ...(report.originalId ? { original_id: report.originalId } : {}) },
      headers: capturedOf(meta),
      receptionProtocol: 'ESMTP',
      sessionId: m.sessionId,
    });
  });
}

/** The scheduled queue a recipient's message joins (what the queue manager names it). */
function receptionQueue(snapshot: Snapshot, rcpt: string, meta: SpoolMeta): string {
  const domain = queueDomainOf(rcpt);
  const params = queueParams(snapshot.queues, domain, meta.tenant, meta.campaign);
  return queueName({ domain, tenant: meta.tenant, campaign: meta.campaign, routingDomain: params.routingDomain });
}

function receptionFields(m: IncomingMessage, meta: SpoolMeta, snapshot: Snapshot, rcpt: string, type: 'Reception' | 'Feedback', nodeid: string, feedback?: ArfReport): LogRecord {
  return logRecord({
    type,
    id: meta.id,
    sender: meta.sender,
    recipient: rcpt,
    queue: receptionQueue(snapshot, rcpt, meta),
    site: '',
    size: meta.size,
    // KumoMTA logs its reception reply as a bare 250
    response: { code: 250, enhanced_code: null, content: '', command: null },
    peer: { name: m.peer.helo ?? '', addr: m.peer.ip },
    at: meta.receivedAt,
    created: meta.receivedAt,
    attempts: 0,
    nodeid,
    feedback: feedback ?? null,
    // recipients accepted only to log a report (not relayed)
    meta: { ...messageMeta(meta), ...(m.reportOnly.length ? { report_only: m.reportOnly } : {}) },
    headers: capturedOf(meta),
    // KumoMTA logs ESMTP for every SMTP reception (HELO included), HTTP for the inject API
    receptionProtocol: m.protocol === 'HTTP' ? 'HTTP' : 'ESMTP',
    tls: m.tls ? { cipher: m.tls.cipher, protocol: m.tls.version } : undefined,
    sessionId: m.sessionId,
  });
}

/**
 * One Reception record per recipient, each with its own queue (a Feedback record from
 * `reports` takes the place of a log_arf recipient's), then the report's OOB records.
 */
export function receptionRecord(m: IncomingMessage, meta: SpoolMeta, snapshot: Snapshot, reports: readonly LogRecord[]): LogRecord[] {
  const nodeid = nodeIdFor(snapshot.main.spool.path);
  const feedback = new Map(reports.filter((r) => r.type === 'Feedback').map((r) => [r.recipient as string, r]));
  const out = [...m.recipients, ...m.reportOnly].map((r) => feedback.get(r) ?? receptionFields(m, meta, snapshot, r, 'Reception', nodeid));
  return [...out, ...reports.filter((r) => r.type !== 'Feedback')];
}
