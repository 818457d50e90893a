import { createHash, randomBytes } from 'node:crypto';

/** Differs per process, so two runs never give the same connection the same session id. */
const SALT = randomBytes(16);

/**
 * KumoMTA's `session_id` (a UUID) for an inbound SMTP connection, derived from the SMTP
 * server's own connection id: every record of one connection (Reception, Rejection) carries the
 * same value without the session keeping another field. Shaped as a version 4 UUID.
 */
export function sessionUuid(connectionId: string): string {
  const b = createHash('sha256').update(SALT).update(connectionId).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
