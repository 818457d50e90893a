import { hookWants } from '../events/payload.js';
import type { ConfigStore } from '../config/store.js';
import type { RecordTap } from '../logging/record-writer.js';
import type { LogRecord } from '../logging/types.js';
import type { WorkerToOwner } from './ipc-messages.js';

/** The typed error a worker's records barrier rejects with when the owner cannot confirm its hook events. */
export class HookForwardError extends Error {
  constructor(readonly code: 'HOOK_FORWARD_CHANNEL_GONE' | 'HOOK_FORWARD_FAILED', message: string) {
    super(message);
    this.name = 'HookForwardError';
  }
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * A reception worker's log-hook tap (`[server] workers` > 1): the hooks' event store lives in
 * the owner, so every record a hook of this worker's snapshot wants is sent there, the records
 * of one event-loop turn in one `records` message. `durable()` resolves only once the owner
 * answered that every batch sent so far is in its event store on disk (`records-durable`), so
 * the 250 that waits for the records barrier never runs ahead of the hooks; a gone channel
 * rejects (the worker exits then anyway).
 */
export class IpcRecordTap implements RecordTap {
  private pending: string[] = [];
  private scheduled = false;
  /** the last batch sent / the last the owner confirmed */
  private sent = 0;
  private confirmed = 0;
  private failed: Error | undefined;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly store: ConfigStore,
    private readonly send: (m: WorkerToOwner) => boolean,
  ) {}

  accept(record: LogRecord, json: string): void {
    const hooks = this.store.current.main.logHooks;
    if (!hooks.size) return;
    // the owner filters again with its own snapshot; this only saves IPC for records no hook wants
    if (![...hooks.values()].some((h) => hookWants(h, record))) return;
    this.pending.push(json);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  durable(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const target = this.sent + (this.pending.length ? 1 : 0);
    if (target <= this.confirmed) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: target, resolve, reject }));
  }

  /** The owner's answer: every batch up to `seq` is on disk in its event store (or could not be). */
  onConfirmed(seq: number, error?: string): void {
    if (seq > this.confirmed) this.confirmed = seq;
    // a failed batch fails its own waiters only: the next batch may well be queued
    const e = error ? new HookForwardError('HOOK_FORWARD_FAILED', `the owner could not queue forwarded hook events: ${error}`) : undefined;
    while (this.waiters.length && this.waiters[0]!.seq <= this.confirmed) {
      const w = this.waiters.shift()!;
      if (e) w.reject(e);
      else w.resolve();
    }
  }

  /** The owner's channel closed: nothing pending can be confirmed any more. */
  channelGone(): void {
    const e = (this.failed ??= new HookForwardError('HOOK_FORWARD_CHANNEL_GONE', 'the owner process is gone: hook events not confirmed'));
    for (const w of this.waiters.splice(0)) w.reject(e);
  }


  private flush(): void {
    this.scheduled = false;
    if (!this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    const seq = ++this.sent;
    if (!this.send({ type: 'records', seq, lines })) this.channelGone();
  }
}
