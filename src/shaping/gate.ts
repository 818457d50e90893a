// STUB (minimal local implementation) — the shaping work (issue 5) completes it: message rate
// throttles, provider-wide limits, additional_* limits, automation, Redis-shared limits.
import type { EffectiveShaping, ShapingQuery } from './types.js';

export interface Lease {
  release(): void;
}

export interface DeliveryResponse {
  code: number;
  enhanced?: string;
  text: string;
  /** true for responses kumo-ts made up itself (connection failures etc.) */
  internal?: boolean;
}

export interface PathInfo extends ShapingQuery {
  tenant?: string;
  campaign?: string;
}

/**
 * What the delivery path asks of shaping before and after each step. All limits are keyed by
 * source × site (and provider); implementations may be local or shared through Redis.
 */
export interface ShapingGate {
  /** One more connection for this path, or how long to wait before asking again. */
  acquireConnection(q: ShapingQuery, s: EffectiveShaping): Promise<Lease | { waitMs: number }>;
  /** 0 when a message may be sent now, else the ms to wait (message-rate throttles). */
  messageDelay(q: ShapingQuery, s: EffectiveShaping): Promise<number>;
  /** Every delivery response (automation rules see it). */
  onResponse(q: PathInfo, response: DeliveryResponse): void;
  /** epoch ms until which this path is suspended by automation, if it is. */
  suspendedUntil(q: PathInfo): number | undefined;
  close(): Promise<void>;
}

export class LocalShapingGate implements ShapingGate {
  private readonly conns = new Map<string, number>();
  async acquireConnection(q: ShapingQuery, s: EffectiveShaping): Promise<Lease | { waitMs: number }> {
    const key = `${q.source}->${q.site}`;
    const n = this.conns.get(key) ?? 0;
    if (n >= s.connection_limit) return { waitMs: 100 };
    this.conns.set(key, n + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.conns.set(key, (this.conns.get(key) ?? 1) - 1);
      },
    };
  }
  async messageDelay(): Promise<number> {
    return 0;
  }
  onResponse(): void {}
  suspendedUntil(): number | undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}
