import type { EgressSource } from '../config/egress.js';
import type { Peer, SmtpSession, TlsInfo } from '../delivery/smtp-client.js';
import { toLogResponse } from '../delivery/response.js';
import type { SmtpReply } from '../delivery/response.js';
import { capturedOf, logRecord, messageMeta } from '../logging/record-fields.js';
import type { LogRecord, LogSourceAddress, RecordType } from '../logging/types.js';
import type { EffectiveShaping } from '../shaping/types.js';
import type { SpoolMeta } from '../spool/types.js';

/** Where an attempt went, for its log records. */
export interface AttemptContext {
  readonly queue: string;
  readonly site?: string;
  readonly source?: string;
  /** the ready queue name (metrics' service label) */
  readonly readyQueue?: string;
  readonly pool?: string;
  readonly peer?: Peer;
  readonly tls?: TlsInfo;
  readonly attempts: number;
  /** the shaping provider of the site (KumoMTA's provider_name) */
  readonly provider?: string;
  /** the SMTP session the attempt used */
  readonly session?: { readonly id: string; readonly sourceAddress?: LogSourceAddress };
}

/** The session facts of an SMTP attempt (its id, source address) and the site's provider. */
export function smtpAttemptFacts(session: { readonly id: string; readonly local: SmtpSession['local'] } | undefined, source: EgressSource, shaping: Pick<EffectiveShaping, 'provider'>): Pick<AttemptContext, 'provider' | 'session'> {
  return {
    ...(shaping.provider ? { provider: shaping.provider } : {}),
    ...(session ? { session: { id: session.id, sourceAddress: sourceAddressOf(session.local, source) } } : {}),
  };
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * KumoMTA's source_address: the local address and port of a direct connection; through a
 * proxy, the address the proxy sends from (port 0: the proxy chooses it), its protocol and server.
 */
export function sourceAddressOf(local: { address: string; port: number } | undefined, source: EgressSource): LogSourceAddress | undefined {
  if (source.haProxy) return { address: hostPort(source.haProxy.sourceAddress, 0), protocol: 'haproxy', server: hostPort(source.haProxy.server.host, source.haProxy.server.port) };
  if (source.socks5) return { address: hostPort(source.socks5.sourceAddress ?? '0.0.0.0', 0), protocol: 'socks5', server: hostPort(source.socks5.server.host, source.socks5.server.port) };
  return local ? { address: hostPort(local.address.replace(/^::ffff:/, ''), local.port) } : undefined;
}

/** Outcomes decided without reaching a destination's protocol (KumoMTA logs no delivery_protocol). */
const NO_PROTOCOL: ReadonlySet<RecordType> = new Set(['Expiration', 'AdminBounce']);

/** One log record for one recipient's outcome (KumoMTA's JsonLogRecord; src/logging/record-fields.ts). */
export function outcomeRecord(type: RecordType, meta: SpoolMeta, recipient: string, reply: SmtpReply, ctx: AttemptContext, nodeid: string, now = Date.now()): LogRecord {
  const site = ctx.site ?? '';
  return logRecord({
    type,
    id: meta.id,
    sender: meta.sender,
    recipient,
    queue: ctx.queue,
    site,
    size: meta.size,
    response: { ...toLogResponse(reply), command: logCommand(reply) },
    peer: ctx.peer ? { name: ctx.peer.name, addr: ctx.peer.addr } : null,
    at: now,
    created: meta.receivedAt,
    attempts: ctx.attempts,
    nodeid,
    pool: ctx.pool,
    source: ctx.source,
    sourceAddress: ctx.session?.sourceAddress,
    meta: messageMeta(meta),
    headers: capturedOf(meta),
    deliveryProtocol: !site || NO_PROTOCOL.has(type) ? null : site === 'maildir' ? 'Maildir' : site.startsWith('http:') ? 'HTTP' : site.startsWith('amqp:') ? 'AMQP' : 'ESMTP',
    receptionProtocol: meta.reception.protocol === 'HTTP' ? 'HTTP' : 'ESMTP',
    tls: ctx.tls,
    provider: ctx.provider,
    sessionId: ctx.session?.id,
  });
}

/**
 * The command as KumoMTA names it: "." for the reply to the end of the message (a 2xx to
 * DATA can only be that one), none for a reply kumo-ts made up (expiry, shaping, connection).
 */
function logCommand(reply: SmtpReply): string | null {
  if (reply.internal || !reply.command) return null;
  if (reply.command === 'DATA' && reply.code >= 200 && reply.code < 300) return '.';
  return reply.command;
}

/**
 * The response of a Delayed record, as KumoMTA words it: `400`, no enhanced code, content
 * "Context: <reason>. Next due in <duration> at <time>" (humantime's duration, RFC 3339 time).
 */
export function delayedReply(reason: string, due: number, now = Date.now()): SmtpReply {
  return { code: 400, text: `Context: ${reason}. Next due in ${humanDuration(Math.max(0, due - now))} at ${new Date(due).toISOString()}`, internal: true };
}

/** "1m 3s 120ms" (humantime's format_duration, to the millisecond). */
export function humanDuration(ms: number): string {
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  const parts: string[] = [];
  let left = Math.round(ms);
  for (const [name, size] of units) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n) parts.push(`${n}${name}`);
  }
  return parts.length ? parts.join(' ') : '0s';
}
