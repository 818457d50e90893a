/**
 * Reception of several messages as one durable batch: the messages one inject request
 * generates. Each message is prepared exactly as SMTP reception prepares it (prepareMessage:
 * tenant/campaign, trace headers, DKIM, SpoolMeta), then the batch is ONE spool write (one lmdb
 * transaction: all of it is stored or none of it, and one fsync wait instead of one per
 * message), the queue takes each message, and the Reception records of all of them share one
 * durability barrier. Every outcome is per message: `ok` only for a message that is on disk.
 */
import { writeRecords } from '../logging/record-fields.js';
import { receptionLatency } from '../metrics/latency.js';
import { SpoolError } from '../spool/errors.js';
import type { SpoolEntry } from '../spool/types.js';
import { prepareMessage, receptionRecord } from './reception.js';
import type { IncomingMessage, PreparedMessage, ReceptionDeps, ReceptionRefusal } from './reception.js';
import { spoolWrites } from './spool-write-gate.js';

export type BatchOutcome = { readonly ok: true; readonly id: string } | ReceptionRefusal;

/** Receives `messages` (one listener: the same deferred_spool choice for all); one outcome per message, in order. */
export async function receiveBatch(deps: ReceptionDeps, messages: readonly IncomingMessage[]): Promise<BatchOutcome[]> {
  const snapshot = deps.store.current;
  const prepared = await Promise.all(messages.map((m) => prepareMessage(deps, snapshot, m)));
  const outcomes: BatchOutcome[] = prepared.map((p) => (p.ok ? { ok: true, id: p.meta.id } : p));
  const ready = prepared.flatMap((p, i) => (p.ok && p.meta.recipients.length ? [{ i, m: messages[i]!, p: p as PreparedMessage }] : []));
  if (!ready.length) return outcomes;

  const deferred = ready[0]!.m.listener.deferredSpool;
  if (ready.some((x) => x.m.listener.deferredSpool !== deferred)) throw new Error('receiveBatch: the messages of a batch share one deferred_spool choice');
  const entries: SpoolEntry[] = ready.map(({ p }) => ({ meta: p.meta, body: p.message }));
  // a large batch reaches lmdb when the other large writes are done (spool-write-gate.ts)
  const done = deferred ? () => undefined : await spoolWrites.acquire(entries.reduce((n, e) => n + e.body.length, 0));
  try {
    await deps.spool.putMany(entries, { deferred });
  } catch (e) {
    // none of the batch is stored: every message of it is refused
    const reply = e instanceof SpoolError ? '4.3.0 spool unavailable, please try again later' : '4.3.0 temporary failure, please try again later';
    // a full or failing spool is logged by the spool's health, once per interval, not per batch
    if (!(e instanceof SpoolError)) deps.log.error('spool write failed; batch refused with 451', { messages: entries.length, error: (e as Error).message });
    for (const { i } of ready) outcomes[i] = { ok: false, code: 451, reply, reason: 'spool' };
    return outcomes;
  } finally {
    done();
  }

  const now = Date.now();
  for (const { m, p } of ready) receptionLatency.observe({ protocol: m.protocol }, (now - p.meta.receivedAt) / 1000);
  const intake = deps.intake();
  for (const { p } of ready) {
    try {
      intake?.enqueue(p.meta);
    } catch (e) {
      // it is spooled: the queue finds it again at the next start
      deps.log.error('queue intake failed for a spooled message', { id: p.meta.id, error: (e as Error).message });
    }
  }
  const records = deps.records;
  if (records) {
    prepared.forEach((p, i) => {
      if (!p.ok) return;
      // the message is spooled: it is accepted all the same (receiveBatch never throws after the
      // spool write); writeRecords is async, so a failure is a rejection, never left unhandled
      /* c8 ignore next -- the record writer does not fail on records built here */
      const failed = (e: unknown) => deps.log.error('reception record not written', { id: p.meta.id, error: String((e as Error)?.message ?? e) });
      try {
        // synchronous up to the buffer (not durable: no await inside), so the flush below has it
        writeRecords(records, receptionRecord(messages[i]!, p.meta, snapshot, p.reports), false).catch(failed);
        /* c8 ignore start -- as above */
      } catch (e) {
        failed(e);
      }
      /* c8 ignore stop */
    });
    // on disk before the answer; a log disk failure is logged by the writer and the records
    // retried: the messages are spooled, so they are still accepted rather than duplicated
    if (!deferred) await records.durable().catch(() => undefined);
  }
  return outcomes;
}
