import { ConfirmLink } from '../amqp/confirm-link.js';
import type { Logger } from '../logging/logger.js';
import type { LogHookSettings } from './hook-config.js';
import { eventPayload, routingKey } from './payload.js';
import type { HookEvent } from './payload.js';
import type { HookSender, SendOutcome } from './sender.js';

/**
 * Publishes each event as a persistent message (delivery mode 2, message id = the record id)
 * on a confirm channel and reports a batch done only once the broker confirmed every message
 * in it. Messages are mandatory: one no queue takes (the broker returns it before its ack) is
 * not done either, so a missing binding loses nothing.
 * A nack, a return, a closed channel or connection, or no confirm within `timeout` is a retry:
 * the batch is published again (the hook queue backs off; the next send reconnects). One
 * connection and channel per hook (src/amqp/confirm-link.ts); connection_limit batches may be
 * unconfirmed at once.
 */
export class AmqpSender implements HookSender {
  private link: Promise<ConfirmLink> | undefined;
  private closed = false;

  constructor(private readonly hook: LogHookSettings, private readonly log?: Logger) {}

  async send(events: readonly HookEvent[], hook: LogHookSettings): Promise<SendOutcome> {
    if (this.closed) return { kind: 'retry', reason: 'the AMQP client is closed' };
    let messages: { seq: number; key: string; body: Buffer; id: string | undefined }[];
    try {
      messages = events.map((e) => ({ seq: e.seq, key: routingKey(hook, e), body: Buffer.from(eventPayload(hook, e)), id: idOf(e) }));
    } catch (e) {
      return { kind: 'retry', reason: (e as Error).message };
    }
    let link: ConfirmLink;
    try {
      link = await this.connect(hook.timeoutMs);
    } catch (e) {
      return { kind: 'retry', reason: `AMQP connect: ${(e as Error).message}` };
    }
    const r = await link.publish(messages.map((m) => ({
      exchange: hook.exchange,
      routingKey: m.key,
      content: m.body,
      tag: m.seq,
      properties: { contentType: hook.contentType, ...(m.id !== undefined ? { messageId: m.id } : {}), timestamp: Math.floor(Date.now() / 1000) },
    })), hook.timeoutMs);
    switch (r.kind) {
      case 'confirmed':
        return { kind: 'done' };
      case 'returned':
        return { kind: 'retry', reason: `${r.count} message(s) returned unroutable by exchange "${r.exchange}" (routing key "${r.routingKey}"): no queue is bound for them` };
      case 'nack':
        return { kind: 'retry', reason: 'the broker did not confirm (nack)' };
      case 'lost':
        this.drop(link);
        return { kind: 'retry', reason: r.reason };
      case 'timeout':
        this.drop(link);
        return { kind: 'retry', reason: `no confirm within ${r.ms} ms` };
    }
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    const l = this.link;
    this.link = undefined;
    const link = await l?.catch(() => undefined);
    await link?.close(deadline);
  }

  private connect(timeoutMs: number): Promise<ConfirmLink> {
    this.link ??= ConfirmLink.open(this.hook.url, { timeoutMs, tagHeader: 'x-kumo-seq' }).then((link) => {
      void link.lost.then((why) => {
        if (this.link === current) this.link = undefined;
        if (!this.closed) this.log?.warn(`log hook "${this.hook.name}": ${why}; reconnecting at the next send`, { hook: this.hook.name });
      });
      return link;
    });
    const current = this.link;
    current.catch(() => {
      if (this.link === current) this.link = undefined;
    });
    return current;
  }

  private drop(link: ConfirmLink): void {
    void this.link?.then((l) => {
      if (l === link) this.link = undefined;
    }, () => undefined);
    link.kill();
  }
}

function idOf(e: HookEvent): string | undefined {
  return /"id":"([^"]*)"/.exec(e.json)?.[1];
}
