/**
 * KumoMTA's remember_broken_tls: which ready queues (KumoMTA keys it by the dispatcher's
 * queue name, i.e. per egress source × site) had a failed STARTTLS or TLS handshake, until
 * when. In memory only, per process, as in KumoMTA (forgotten on restart). Bounded: the
 * oldest entries go first.
 */
export class BrokenTlsMemory {
  private readonly until = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now, private readonly max = 64 * 1024) {}

  remember(key: string, forMs: number): void {
    this.until.delete(key);
    this.until.set(key, this.now() + forMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  isBroken(key: string): boolean {
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(key);
    return false;
  }
}

/** The process-wide memory the delivery path uses. */
export const brokenTls = new BrokenTlsMemory();

/** KumoMTA: with opportunistic_tls_reconnect_on_failed_handshake and no remember_broken_tls, 15 minutes. */
export const DEFAULT_RECONNECT_REMEMBER_MS = 15 * 60_000;
