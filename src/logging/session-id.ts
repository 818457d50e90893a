import { randomUUID } from 'node:crypto';

/**
 * KumoMTA's `session_id` (a version 4 UUID) for an inbound SMTP connection. The listener hands
 * it to smtp-server as the connection's own id (`connect(socket, { id })`), so every record of
 * one connection (Reception, Rejection) carries `session.id` as it is, and smtp-server does not
 * draw an id of its own (randomBytes + a BigInt per connection, then a hash to make a UUID of
 * it: about 2 % of a reception worker under one message per connection).
 */
export function newSessionId(): string {
  return randomUUID();
}
