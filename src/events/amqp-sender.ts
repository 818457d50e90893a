import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import type { LogHookSettings } from './hook-config.js';
import { eventPayload, routingKey } from './payload.js';
import type { HookEvent } from './payload.js';
import type { HookSender, SendOutcome } from './sender.js';

interface Link {
  readonly conn: ChannelModel;
  readonly ch: ConfirmChannel;
  /** sequence numbers of messages the broker returned as unroutable (mandatory), before their ack */
  readonly returned: Set<number>;
  /** settles (never rejects) when the connection or the channel goes away */
  readonly lost: Promise<string>;
}

/**
 * Publishes each event as a persistent message (delivery mode 2, message id = the record id)
 * on a confirm channel and reports a batch done only once the broker confirmed every message
 * in it. Messages are mandatory: one no queue takes (the broker returns it before its ack) is
 * not done either, so a missing binding loses nothing.
 * A nack, a return, a closed channel or connection, or no confirm within `timeout` is a retry:
 * the batch is published again (the hook queue backs off; the next send reconnects). One
 * connection and channel per hook; connection_limit batches may be unconfirmed at once.
 */
export class AmqpSender implements HookSender {
  private link: Promise<Link> | undefined;
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
    let link: Link;
    try {
      link = await this.connect(hook.timeoutMs);
    } catch (e) {
      return { kind: 'retry', reason: `AMQP connect: ${(e as Error).message}` };
    }
    const confirms = messages.map(
      (m) => new Promise<void>((resolve, reject) => {
        const ok = link.ch.publish(hook.exchange, m.key, m.body, {
          persistent: true,
          mandatory: true,
          headers: { 'x-kumo-seq': m.seq },
          contentType: hook.contentType,
          ...(m.id !== undefined ? { messageId: m.id } : {}),
          timestamp: Math.floor(Date.now() / 1000),
        }, (err) => (err ? reject(new Error('the broker did not confirm (nack)')) : resolve()));
        void ok; // a full write buffer only delays; the confirms tell when the broker has them
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => (timer = setTimeout(() => r(`no confirm within ${hook.timeoutMs} ms`), hook.timeoutMs)));
    try {
      const r = await Promise.race([Promise.all(confirms).then(() => undefined), link.lost, timeout]);
      if (r === undefined) {
        const unroutable = messages.filter((m) => link.returned.delete(m.seq));
        if (unroutable.length) return { kind: 'retry', reason: `${unroutable.length} message(s) returned unroutable by exchange "${hook.exchange}" (routing key "${unroutable[0]!.key}"): no queue is bound for them` };
        return { kind: 'done' };
      }
      this.drop(link);
      return { kind: 'retry', reason: r };
    } catch (e) {
      return { kind: 'retry', reason: (e as Error).message };
    } finally {
      clearTimeout(timer);
      // confirms still pending on a lost channel reject later: nobody waits for them
      for (const c of confirms) c.catch(() => undefined);
    }
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    const l = this.link;
    this.link = undefined;
    if (!l) return;
    const link = await l.catch(() => undefined);
    if (!link) return;
    const wait = Math.max(0, deadline - Date.now());
    await Promise.race([link.conn.close().catch(() => undefined), new Promise((r) => setTimeout(r, wait).unref())]);
  }

  private connect(timeoutMs: number): Promise<Link> {
    this.link ??= (async () => {
      const conn = await amqp.connect(this.hook.url, { timeout: timeoutMs });
      // listeners at once: an 'error' without one would be thrown
      let lose!: (why: string) => void;
      const lost = new Promise<string>((resolve) => (lose = resolve));
      conn.on('error', (e: Error) => lose(`AMQP connection error: ${e.message}`));
      conn.on('close', () => lose('AMQP connection closed'));
      let ch: ConfirmChannel;
      try {
        ch = await conn.createConfirmChannel();
      } catch (e) {
        await conn.close().catch(() => undefined);
        throw e;
      }
      ch.on('error', (e: Error) => lose(`AMQP channel error: ${e.message}`));
      ch.on('close', () => lose('AMQP channel closed'));
      const returned = new Set<number>();
      ch.on('return', (msg: { properties: { headers?: Record<string, unknown> } }) => {
        const seq = msg.properties.headers?.['x-kumo-seq'];
        if (typeof seq === 'number') returned.add(seq);
      });
      const link: Link = { conn, ch, lost, returned };
      void lost.then((why) => {
        if (this.link === current) this.link = undefined;
        if (!this.closed) this.log?.warn(`log hook "${this.hook.name}": ${why}; reconnecting at the next send`, { hook: this.hook.name });
      });
      return link;
    })();
    const current = this.link;
    current.catch(() => {
      if (this.link === current) this.link = undefined;
    });
    return current;
  }

  private drop(link: Link): void {
    void this.link?.then((l) => {
      if (l === link) this.link = undefined;
    }, () => undefined);
    void link.conn.close().catch(() => undefined);
  }
}

function idOf(e: HookEvent): string | undefined {
  return /"id":"([^"]*)"/.exec(e.json)?.[1];
}
