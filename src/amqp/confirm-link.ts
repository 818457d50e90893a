// One AMQP connection with one confirm channel: what both the AMQP log hooks (src/events/) and
// AMQP delivery of mail (src/delivery/amqp-session.ts) publish on.
import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';

export interface LinkOptions {
  /** connect (TCP + AMQP handshake) timeout */
  readonly timeoutMs: number;
  /**
   * The header carrying each publish's `tag`: a message the broker returns as unroutable
   * (mandatory) is known by it, since a return carries no delivery tag.
   */
  readonly tagHeader: string;
  /** local address of the connection (an egress source's source_address) */
  readonly localAddress?: string;
}

export interface LinkPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  /** mandatory and persistent are always set; the tag header is added */
  readonly properties: Options.Publish;
  readonly tag: string | number;
}

/** What a round of publishes came to (the first problem wins). */
export type PublishResult =
  | { readonly kind: 'confirmed' }
  /** confirmed, but some messages were returned unroutable: no queue is bound for them */
  | { readonly kind: 'returned'; readonly count: number; readonly exchange: string; readonly routingKey: string }
  | { readonly kind: 'nack' }
  /** the connection or the channel went away before every confirm came */
  | { readonly kind: 'lost'; readonly reason: string }
  | { readonly kind: 'timeout'; readonly ms: number };

/** `amqp://user@host:port/vhost`: the URL without its password (logs, ready queue names, explain). */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.href;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A connection and its confirm channel, opened together. Messages are persistent and
 * mandatory; `publish` resolves once the broker confirmed (or nacked, or returned) every one,
 * or the link was lost, or the timeout passed. A link that was lost or timed out is not used
 * again (`usable` false): the caller opens a new one, so a late confirm is never mistaken.
 */
export class ConfirmLink {
  /** settles (never rejects) when the connection or the channel goes away */
  readonly lost: Promise<string>;
  private dead = false;
  private readonly returned = new Set<string>();

  private constructor(private readonly conn: ChannelModel, private readonly ch: ConfirmChannel, lost: Promise<string>, private readonly tagHeader: string) {
    this.lost = lost.then((why) => {
      this.dead = true;
      return why;
    });
    ch.on('return', (msg: { properties: { headers?: Record<string, unknown> } }) => {
      const tag = msg.properties.headers?.[tagHeader];
      if (typeof tag === 'string' || typeof tag === 'number') this.returned.add(String(tag));
    });
  }

  /** Connects to `url` (credentials in it) and opens a confirm channel; throws the broker's or the socket's error. */
  static async open(url: string, opts: LinkOptions): Promise<ConfirmLink> {
    const conn = await amqp.connect(url, { timeout: opts.timeoutMs, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    // listeners at once: an 'error' without one would be thrown
    let lose!: (why: string) => void;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    conn.on('error', (e: Error) => lose(`AMQP connection error: ${e.message}`));
    conn.on('close', () => lose('AMQP connection closed'));
    let ch: ConfirmChannel;
    try {
      ch = await conn.createConfirmChannel();
    /* c8 ignore next 4 -- a broker refusing the first channel of a connection it just accepted: rabbitmq cannot be made to */
    } catch (e) {
      await conn.close().catch(() => undefined);
      throw e;
    }
    ch.on('error', (e: Error) => lose(`AMQP channel error: ${e.message}`));
    ch.on('close', () => lose('AMQP channel closed'));
    return new ConfirmLink(conn, ch, lost, opts.tagHeader);
  }

  get usable(): boolean {
    return !this.dead;
  }

  async publish(messages: readonly LinkPublish[], timeoutMs: number): Promise<PublishResult> {
    if (this.dead) return { kind: 'lost', reason: 'the AMQP connection is closed' };
    const confirms = messages.map(
      (m) => new Promise<boolean>((resolve) => {
        try {
          // a full write buffer (false) only delays: the confirms tell when the broker has them
          this.ch.publish(m.exchange, m.routingKey, m.content, {
            ...m.properties,
            persistent: true,
            mandatory: true,
            headers: { ...m.properties.headers, [this.tagHeader]: m.tag },
          }, (err) => resolve(!err));
        /* c8 ignore next 4 -- a race: amqplib closed the channel before its close event marked the link dead; no test can time it */
        } catch {
          // the channel closed under us (amqplib throws on a closed channel): `lost` tells why
          resolve(false);
        }
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<PublishResult>((r) => (timer = setTimeout(() => r({ kind: 'timeout', ms: timeoutMs }), timeoutMs)));
    const lost = this.lost.then((reason): PublishResult => ({ kind: 'lost', reason }));
    const acked = Promise.all(confirms).then((oks): PublishResult => (oks.every(Boolean) ? { kind: 'confirmed' } : { kind: 'nack' }));
    try {
      const r = await Promise.race([acked, lost, timeout]);
      if (r.kind === 'nack' && this.dead) return { kind: 'lost', reason: await this.lost };
      if (r.kind === 'timeout') this.kill();
      if (r.kind !== 'confirmed') return r;
      // a return comes before its message's ack
      const back = messages.filter((m) => this.returned.delete(String(m.tag)));
      return back.length ? { kind: 'returned', count: back.length, exchange: back[0]!.exchange, routingKey: back[0]!.routingKey } : r;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (at most until `deadline`, then it is left to the socket). */
  async close(deadline = Date.now() + 5_000): Promise<void> {
    this.dead = true;
    const wait = Math.max(0, deadline - Date.now());
    await Promise.race([this.conn.close().catch(() => undefined), new Promise((r) => setTimeout(r, wait).unref())]);
  }

  /** Drops the connection now (a timeout: its late confirms must not count). */
  kill(): void {
    this.dead = true;
    void this.conn.close().catch(() => undefined);
  }
}
