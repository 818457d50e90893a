import type { LogHookSettings } from './hook-config.js';
import type { HookEvent } from './payload.js';

/**
 * What a send of one batch came to: `done` (the receiver took every event: remove them),
 * `retry` (nothing known to be taken: keep them, back off), `fail` (the receiver refused them
 * for good: remove, log and count).
 */
export type SendOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

/** A protocol client of one hook (webhook, AMQP); one per (kind, url, connection settings). */
export interface HookSender {
  send(events: readonly HookEvent[], hook: LogHookSettings): Promise<SendOutcome>;
  /** Lets in-flight sends end (at most until `deadline`), then drops the connections. */
  close(deadline: number): Promise<void>;
}

/** The settings that need a new client when they change (the rest are read per send). */
export function senderKey(h: LogHookSettings): string {
  return JSON.stringify([h.kind, h.url, h.connectionLimit, h.timeoutMs, h.exchange]);
}
