/**
 * Deadlines of one DATA phase, against slow senders that keep a session (and its memory)
 * busy by trickling bytes: a whole-DATA deadline from the 354 to the final dot, which no amount
 * of trickling extends (the idle timeout alone is reset by every byte), and a minimum average
 * rate checked once the grace period has passed.
 */
export type DataExpiry = 'deadline' | 'rate';

/** Grace before the minimum rate applies. Internal (tests shorten it), not a config key. */
export const dataRateGrace = { ms: 30_000 };

export class DataDeadline {
  private readonly started = Date.now();
  private bytes = 0;
  private readonly deadline: NodeJS.Timeout;
  private readonly rate: NodeJS.Timeout | undefined;
  private done = false;

  constructor(timeoutMs: number, minRate: number, private readonly onExpire: (why: DataExpiry, elapsedMs: number, bytes: number) => void) {
    this.deadline = setTimeout(() => this.expire('deadline'), timeoutMs);
    this.deadline.unref();
    if (minRate > 0) {
      const every = Math.max(50, Math.min(1000, dataRateGrace.ms / 4));
      this.rate = setInterval(() => {
        const elapsed = Date.now() - this.started;
        if (elapsed >= dataRateGrace.ms && (this.bytes * 1000) / elapsed < minRate) this.expire('rate');
      }, every);
      this.rate.unref();
    }
  }

  /** `n` more bytes of the message arrived. */
  add(n: number): void {
    this.bytes += n;
  }

  /** DATA is over (final dot, refusal or disconnect): nothing fires any more. */
  stop(): void {
    this.done = true;
    clearTimeout(this.deadline);
    clearInterval(this.rate);
  }

  private expire(why: DataExpiry): void {
    if (this.done) return;
    this.stop();
    this.onExpire(why, Date.now() - this.started, this.bytes);
  }
}
