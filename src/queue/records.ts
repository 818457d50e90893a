import type { LogRecord, RecordType } from '../logging/types.js';
import type { SpoolMeta } from '../spool/types.js';
import type { Peer, TlsInfo } from '../delivery/smtp-client.js';
import { classifyBounce, toLogResponse } from '../delivery/response.js';
import type { SmtpReply } from '../delivery/response.js';

/** Where an attempt went, for its log records. */
export interface AttemptContext {
  readonly queue: string;
  readonly site?: string;
  readonly source?: string;
  readonly pool?: string;
  readonly peer?: Peer;
  readonly tls?: TlsInfo;
  readonly attempts: number;
}

/** One log record for one recipient's outcome (DESIGN §5; KumoMTA field names). */
export function outcomeRecord(type: RecordType, meta: SpoolMeta, recipient: string, reply: SmtpReply, ctx: AttemptContext, now = Date.now()): LogRecord {
  const rec: LogRecord = {
    type,
    id: meta.id,
    sender: meta.sender,
    recipient,
    queue: ctx.queue,
    site: ctx.site ?? '',
    size: meta.size,
    response: toLogResponse(reply),
    peer_address: ctx.peer ? { name: ctx.peer.name, addr: ctx.peer.addr } : null,
    timestamp: now / 1000,
    created: meta.receivedAt / 1000,
    num_attempts: ctx.attempts,
    egress_pool: ctx.pool ?? null,
    egress_source: ctx.source ?? null,
    tls_cipher: ctx.tls?.cipher ?? null,
    tls_protocol_version: ctx.tls?.protocol ?? null,
    tls_peer_subject_name: ctx.tls?.peerSubject ?? null,
    reception_protocol: meta.reception.protocol,
    tenant: meta.tenant ?? null,
    campaign: meta.campaign ?? null,
  };
  if (type === 'Bounce' || type === 'TransientFailure' || type === 'Expiration') rec.bounce_classification = classifyBounce(reply);
  if (ctx.peer) rec.meta = { peer_port: ctx.peer.port };
  return rec;
}
