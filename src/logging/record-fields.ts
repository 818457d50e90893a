import type { ClassifiableReply } from '../bounce/classifier.js';
import { UNCATEGORIZED } from '../bounce/classifier.js';
import type { LogRecord, LogResponse, LogSourceAddress, LogWriter, RecordType } from './types.js';

/**
 * Builds log records in KumoMTA's exact shape (kumo-log-types JsonLogRecord): every record
 * builder (reception, rejection, delivery outcomes, reports) goes through `logRecord`, so field
 * names, JSON types and order are the same for every type.
 */

const memo: [number, string, number, string] = [NaN, '', NaN, ''];

/**
 * RFC 3339 in UTC as chrono writes it (`SecondsFormat::AutoSi`): no fraction for a whole second,
 * else milliseconds (the clock's resolution here).
 */
export function rfc3339(ms: number): string {
  // the last two answers: a record asks for its event and creation times, and records of one
  // turn share them (a Date and an ISO string per call were ~1 % of the queue owner)
  if (ms === memo[0]) return memo[1];
  if (ms === memo[2]) return memo[3];
  const iso = new Date(ms).toISOString();
  const out = iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  memo[2] = memo[0];
  memo[3] = memo[1];
  memo[0] = ms;
  memo[1] = out;
  return out;
}

/** KumoMTA's is_bounce_classifiable: responses from a destination, and administrative failures. */
const CLASSIFIABLE: ReadonlySet<RecordType> = new Set(['Bounce', 'TransientFailure', 'Expiration', 'AdminBounce', 'OOB', 'Feedback', 'Rejection']);

export function isClassifiable(type: RecordType): boolean {
  return CLASSIFIABLE.has(type);
}

/** A record's response as the bounce classifier reads it. */
export function replyOf(r: LogResponse): ClassifiableReply {
  const e = r.enhanced_code;
  return { code: r.code, enhanced: e ? `${e.class}.${e.subject}.${e.detail}` : undefined, text: r.content };
}

/** "250 2.0.0 text" style pieces → KumoMTA's response object. */
export function logResponse(code: number, text: string, command: string | null): LogResponse {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)/.exec(text);
  return {
    code,
    enhanced_code: m ? { class: Number(m[1]), subject: Number(m[2]), detail: Number(m[3]) } : null,
    content: m ? text.slice(m[0].length) : text,
    command,
  };
}

export interface RecordInput {
  type: RecordType;
  id: string;
  sender: string;
  recipient: string;
  queue: string;
  site: string;
  size: number;
  response: LogResponse;
  peer: { name: string; addr: string } | null;
  /** when the record is made / the message was received, epoch ms */
  at: number;
  created: number;
  attempts: number;
  nodeid: string;
  pool?: string | null;
  source?: string | null;
  sourceAddress?: LogSourceAddress | null;
  feedback?: Record<string, unknown> | null;
  meta?: Record<string, unknown>;
  headers?: Record<string, string | string[]>;
  deliveryProtocol?: string | null;
  receptionProtocol?: string | null;
  tls?: { readonly cipher?: string | null; readonly protocol?: string | null; readonly peerSubject?: readonly string[] | null };
  provider?: string;
  sessionId?: string;
}

/** A record with every KumoMTA field, in KumoMTA's order; optional ones only when they apply. */
export function logRecord(f: RecordInput): LogRecord {
  const rec: LogRecord = {
    type: f.type,
    id: f.id,
    sender: f.sender,
    recipient: f.recipient,
    queue: f.queue,
    site: f.site,
    size: f.size,
    response: f.response,
    peer_address: f.peer,
    timestamp: Math.floor(f.at / 1000),
    event_time: rfc3339(f.at),
    created: Math.floor(f.created / 1000),
    created_time: rfc3339(f.created),
    num_attempts: f.attempts,
    // set by the record writer with the epoch's rules (src/logging/record-writer.ts)
    bounce_classification: UNCATEGORIZED,
    egress_pool: f.pool ?? null,
    egress_source: f.source ?? null,
    source_address: f.sourceAddress ?? null,
    feedback_report: f.feedback ?? null,
    meta: f.meta ?? {},
    headers: f.headers ?? {},
    delivery_protocol: f.deliveryProtocol ?? null,
    reception_protocol: f.receptionProtocol ?? null,
    nodeid: f.nodeid,
  };
  if (f.tls?.cipher) rec.tls_cipher = f.tls.cipher;
  if (f.tls?.protocol) rec.tls_protocol_version = f.tls.protocol;
  if (f.tls?.peerSubject?.length) rec.tls_peer_subject_name = [...f.tls.peerSubject];
  if (f.provider) rec.provider_name = f.provider;
  if (f.sessionId) rec.session_id = f.sessionId;
  return rec;
}

/** Message meta logged with every record of a message (KumoMTA keeps tenant/campaign as meta). */
export function messageMeta(m: { tenant?: string; campaign?: string; reception?: { listener?: string; authUser?: string } }): Record<string, unknown> {
  return {
    ...(m.tenant !== undefined ? { tenant: m.tenant } : {}),
    ...(m.campaign !== undefined ? { campaign: m.campaign } : {}),
    ...(m.reception?.listener !== undefined ? { listener: m.reception.listener } : {}),
    ...(m.reception?.authUser !== undefined ? { authz_id: m.reception.authUser } : {}),
  };
}

/** The headers reception captured for a message's records (`[logs] headers`, kept in SpoolMeta.extra.headers). */
export function capturedOf(meta: { extra?: Record<string, unknown> }): Record<string, string | string[]> {
  const h = meta.extra?.headers;
  return h && typeof h === 'object' ? (h as Record<string, string | string[]>) : {};
}

/**
 * Writes a message's records in order; with `durable`, resolves once they are on disk (the
 * last one's barrier covers those before it).
 */
export async function writeRecords(writer: LogWriter, records: readonly LogRecord[], durable: boolean): Promise<void> {
  if (!records.length) return;
  for (const r of records.slice(0, -1)) writer.write(r);
  if (durable) await writer.writeDurable(records.at(-1)!);
  else writer.write(records.at(-1)!);
}
