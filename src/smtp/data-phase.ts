import type { SMTPServerSession } from 'smtp-server';
import type { Logger } from '../logging/logger.js';
import { FRONT_ROOM } from './data-buffer.js';
import type { DataExpiry } from './data-deadline.js';
import type { DataRefusal } from './data-reader.js';
import { inflightBudget, inflightRefusals } from './inflight-budget.js';
import type { Reservation } from './inflight-budget.js';
import type { ListenerSettings } from './listener-config.js';
import { dataTimeouts } from './metrics.js';
import type { SMTPConnection } from './smtp-server-patch.js';

/** What the DATA phase helpers need to know about a session. */
export interface DataSessionInfo {
  readonly settings: ListenerSettings;
  readonly peer: string;
}

/** The MAIL FROM SIZE= parameter, when the client declared one (RFC 1870). */
export function declaredSize(session: SMTPServerSession): number | undefined {
  const args = session.envelope.mailFrom ? session.envelope.mailFrom.args : false;
  const v = args ? (args as Record<string, string | undefined>).SIZE : undefined;
  const n = v !== undefined ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

const INSUFFICIENT = '4.3.1 insufficient system storage, please try again later';

/**
 * Before the 354: a reservation for the message's first bytes (or its declared SIZE=), or
 * the 451 4.3.1 reply when the in-flight budget has no room for it.
 */
export function reserveForData(
  st: DataSessionInfo, session: SMTPServerSession, limit: number, listener: string, log: Logger,
): Reservation | { code: number; text: string } {
  const declared = declaredSize(session);
  const r = inflightBudget.reservation();
  const first = FRONT_ROOM + Math.max(64 * 1024, Math.min(declared ?? 0, st.settings.maxMessageSize));
  if (r.ensure(first, limit, 0)) return r;
  inflightRefusals.inc({ listener, when: 'data' });
  budgetLog(log, listener, { peer: st.peer, in_flight: inflightBudget.bytes, limit, declared });
  return { code: 451, text: INSUFFICIENT };
}

let lastBudgetLog = 0;
/** At most one warning per 10 s: under pressure every DATA would log otherwise. */
function budgetLog(log: Logger, listener: string, fields: Record<string, unknown>): void {
  const now = Date.now();
  if (now - lastBudgetLog < 10_000) return;
  lastBudgetLog = now;
  log.warn(`listener ${listener}: in-flight message bytes at [server] max_inflight_bytes; DATA refused with 451 4.3.1`, fields);
}

/** A message outgrew the budget midway: its bytes are being dropped; counted and logged now. */
export function overBudget(listener: string, log: Logger, st: DataSessionInfo, limit: number): void {
  inflightRefusals.inc({ listener, when: 'midway' });
  budgetLog(log, listener, { peer: st.peer, in_flight: inflightBudget.bytes, limit });
}

/** The reply to a message refused while its DATA was read. */
export function refusalReply(why: DataRefusal): { code: number; text: string } {
  switch (why) {
    case 'over-budget':
      return { code: 451, text: INSUFFICIENT };
    case 'bare-newline':
      return { code: 550, text: '5.6.0 bare CR or LF characters in the message are not accepted here (use CRLF)' };
    case 'long-line':
      return { code: 550, text: '5.6.0 the message has a line longer than 998 octets' };
    case 'too-big':
      return { code: 552, text: '5.3.4 message too big' };
    /* c8 ignore start -- 'aborted' comes from finish() after release(); the session returns before finish once it released */
    case 'aborted':
      return { code: 451, text: '4.3.0 temporary failure, please try again later' };
    /* c8 ignore stop */
  }
}

/**
 * A DATA deadline passed: the client gets 421 4.4.2 (a Rejection record through the reply
 * hook), the event is counted and logged, and the connection is closed; the socket is
 * destroyed shortly after in case the client keeps it open.
 */
export function expireData(
  conn: SMTPConnection | undefined, st: DataSessionInfo, listener: string, log: Logger,
  why: DataExpiry, elapsedMs: number, bytes: number,
): void {
  dataTimeouts.inc({ listener, reason: why });
  const s = st.settings;
  log.warn(`listener ${listener}: ${why === 'deadline' ? 'DATA not finished within data_timeout' : 'DATA slower than min_data_rate'}; client disconnected with 421`, {
    peer: st.peer, elapsed_ms: elapsedMs, bytes, data_timeout_ms: s.dataTimeoutMs, min_data_rate: s.minDataRate,
  });
  if (!conn) return;
  conn.send(421, why === 'deadline'
    ? `4.4.2 ${s.hostname} message not received in time, closing connection`
    : `4.4.2 ${s.hostname} message data arrives too slowly, closing connection`);
  const socket = conn._socket;
  setTimeout(() => socket.destroy(), 1000).unref();
}
