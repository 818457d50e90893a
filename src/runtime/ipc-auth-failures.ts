import { FailureLimiter } from '../auth/failure-limit.js';
import type { FailureCount, SharedAuthFailures } from '../auth/failure-limit.js';
import type { OwnerToWorker, WorkerToOwner } from './ipc-messages.js';

/** An owner that does not answer within this (it is gone: the worker exits on disconnect anyway) counts as no failures. */
const ANSWER_MS = 5_000;

/**
 * A worker's side of the node-wide AUTH failure limit (a listener's auth max_failures per
 * client address): the owner holds the counts, so an address cannot get max_failures tries
 * from each worker. A check and a failure are one IPC round trip each; a success is told.
 */
export class IpcAuthFailures implements SharedAuthFailures {
  private next = 1;
  private readonly waiting = new Map<number, (count: number) => void>();

  constructor(private readonly send: (m: WorkerToOwner) => void) {}

  forListener(listener: string): FailureCount {
    return {
      blocked: async (ip, max, windowMs) => (await this.ask(listener, ip, windowMs)) >= max,
      fail: (ip, user, windowMs) => this.ask(listener, ip, windowMs, user),
      succeed: (ip, user) => this.send({ type: 'auth-ok', listener, ip, user }),
    };
  }

  /** the owner's answer */
  onCounted(m: Extract<OwnerToWorker, { type: 'auth-counted' }>): void {
    this.waiting.get(m.req)?.(m.count);
  }

  private ask(listener: string, ip: string, windowMs: number, failedUser?: string): Promise<number> {
    const req = this.next++;
    return new Promise((resolve) => {
      const t = setTimeout(() => answer(0), ANSWER_MS);
      const answer = (count: number) => {
        clearTimeout(t);
        this.waiting.delete(req);
        resolve(count);
      };
      this.waiting.set(req, answer);
      this.send({ type: 'auth-count', req, listener, ip, windowMs, ...(failedUser !== undefined ? { failedUser } : {}) });
    });
  }
}

/** The owner's AUTH failure counts: one FailureLimiter per listener name, for every worker. */
export class OwnerAuthFailures {
  private readonly byListener = new Map<string, FailureLimiter>();

  /** a check, or with `failedUser` a failure: the failures now counted against the address */
  count(m: Extract<WorkerToOwner, { type: 'auth-count' }>): number {
    const l = this.limiter(m.listener);
    return m.failedUser !== undefined ? l.fail(m.ip, m.failedUser, m.windowMs) : l.count(m.ip, m.windowMs);
  }

  succeed(m: Extract<WorkerToOwner, { type: 'auth-ok' }>): void {
    this.limiter(m.listener).succeed(m.ip, m.user);
  }

  private limiter(listener: string): FailureLimiter {
    let l = this.byListener.get(listener);
    if (!l) this.byListener.set(listener, (l = new FailureLimiter()));
    return l;
  }
}
