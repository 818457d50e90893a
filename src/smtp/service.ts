import type { AddressInfo } from 'node:net';
import type { Snapshot } from '../config/snapshot.js';
import type { Logger } from '../logging/logger.js';
import { needsRebind, SmtpListener } from './listener.js';
import type { ListenerDeps } from './listener.js';

const BIND_RETRY_MS = 5000;

/**
 * All SMTP listeners, reconciled with each snapshot: listeners that appear are started,
 * listeners that disappear stop accepting and drain (their open sessions finish), listeners
 * whose address or TLS mode changed are replaced the same way, and other changes apply in
 * place to new sessions. The process is never restarted. Reconciles run one at a time.
 */
export class SmtpService {
  private readonly listeners = new Map<string, SmtpListener>();
  private readonly draining = new Set<SmtpListener>();
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ListenerDeps & { log: Logger }) {}

  reconcile(snapshot: Snapshot): Promise<void> {
    this.chain = this.chain.then(() => this.doReconcile(snapshot)).catch((e) => {
      this.deps.log.error('smtp: reconciling listeners failed', { error: (e as Error).stack ?? String(e) });
    });
    return this.chain;
  }

  /** The bound address of a listener (tests, logs). */
  address(name: string): AddressInfo | undefined {
    return this.listeners.get(name)?.address();
  }

  listener(name: string): SmtpListener | undefined {
    return this.listeners.get(name);
  }

  get names(): string[] {
    return [...this.listeners.keys()];
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.chain;
    const all = [...this.listeners.values(), ...this.draining];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.stop(deadlineMs)));
  }

  private async doReconcile(snapshot: Snapshot): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retry);
    const want = snapshot.main.listeners;
    // removals and rebinds first, so a port can move from one listener to another
    for (const [name, l] of [...this.listeners]) {
      const next = want.get(name);
      if (next && !needsRebind(l.current, next)) continue;
      this.listeners.delete(name);
      this.draining.add(l);
      this.deps.log.info(next ? `listener ${name}: address or TLS mode changed, replacing it` : `listener ${name} removed`, {
        open_sessions: l.connectionCount,
      });
      void l.drain().then(() => {
        this.draining.delete(l);
        this.deps.log.info(`listener ${name}: drained`);
      });
    }
    let failed = false;
    for (const [name, s] of want) {
      const l = this.listeners.get(name);
      if (l) {
        await l.update(s);
        continue;
      }
      try {
        this.listeners.set(name, await SmtpListener.create(s, this.deps));
      } catch (e) {
        failed = true;
        this.deps.log.error(`listener ${name} cannot start on ${s.listenSpec}: ${(e as Error).message}; retrying`, {
          code: (e as { code?: string }).code,
        });
      }
    }
    if (failed && !this.stopped) {
      this.retry = setTimeout(() => void this.reconcile(this.deps.store.current), BIND_RETRY_MS);
      this.retry.unref();
    }
  }
}
