import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, waitUntil } from '../queue/lab.js';
import { webhookReceiver } from '../events/receiver.js';
import type { Receiver } from '../events/receiver.js';
import { injectSpread, readRecords, startWorkersServer, workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const hook = (port: number) => `
[log_hook.x]
kind = "webhook"
url = "http://127.0.0.1:${port}/events"
types = ["Reception", "Delivery"]
batch_size = 50
batch_wait = "100ms"
retry_interval = "200ms"
max_retry_interval = "1s"
timeout = "10s"
`;

/** How often each (type, id) reached the receiver. */
function byTypeId(rx: Receiver): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rx.records) m.set(`${r.type} ${r.id}`, (m.get(`${r.type} ${r.id}`) ?? 0) + 1);
  return m;
}

function pidsGone(pids: number[]): boolean {
  return pids.every((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

test('workers = 2: a log hook gets every Reception (from both workers) and every Delivery record exactly once', { timeout: 120_000 }, async (t) => {
  const domain = 'hooked.test';
  const rx = webhookReceiver(await freePort());
  await rx.listen();
  cleanups.push(() => rx.close());
  const lab = await workersLab(domain, { cleanups, main: hook(rx.port) });
  const n = 120;
  const accepted = await injectSpread(lab.smtpPort, domain, n, 10);
  assert.equal(accepted.size, n, 'every message answered 250');
  await waitUntil(() => lab.seen().size >= n, 40_000, 'all delivered');
  const perWorker = [1, 2].map((w) => lab.workerReceptions(w));
  for (const [i, c] of perWorker.entries()) assert.ok(c > 0, `worker ${i + 1} received messages (${JSON.stringify(perWorker)})`);
  // the sink has a message before the owner has read its 250 and written the Delivery record
  const inFiles = () => new Set(readRecords(lab.logsDir).filter((r) => r.type === 'Reception' || r.type === 'Delivery').map((r) => `${r.type} ${r.id}`));
  await waitUntil(() => inFiles().size >= 2 * n, 20_000, 'a Reception and a Delivery record per message in the files').catch((e: Error) => {
    throw new Error(`${e.message}: ${inFiles().size} of ${2 * n}`);
  });
  const want = inFiles();
  assert.equal(want.size, 2 * n, 'the files hold one Reception and one Delivery per message');
  await waitUntil(() => [...want].every((k) => byTypeId(rx).has(k)), 40_000, 'every Reception and Delivery at the receiver').catch((e: Error) => {
    const got = byTypeId(rx);
    const missing = [...want].filter((k) => !got.has(k));
    throw new Error(`${e.message}: ${missing.length} missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  });
  const got = byTypeId(rx);
  const dups = [...got.values()].filter((c) => c > 1).length;
  t.diagnostic(`Reception records per worker: ${JSON.stringify(perWorker)}; received ${rx.records.length} records`);
  assert.equal(dups, 0, 'no record twice (no crash here)');
  assert.equal(got.size, 2 * n, 'nothing but these records');
  assert.equal(await lab.kumo.stop('SIGTERM'), 0);
});

test('workers = 2: the owner killed with -9 right after the 250s, receiver down → after a restart every Reception reaches the hook', { timeout: 150_000 }, async (t) => {
  const domain = 'hookcrash.test';
  const rx = webhookReceiver(await freePort()); // down: events wait in the hook queue
  cleanups.push(() => rx.close());
  const lab = await workersLab(domain, { cleanups, main: hook(rx.port) });
  const pids = [lab.kumo.child.pid!, ...lab.kumo.lines.filter((l) => l.msg === 'reception worker ready').map((l) => l.pid as number)];
  const n = 80;
  const accepted = await injectSpread(lab.smtpPort, domain, n, 10);
  assert.equal(accepted.size, n, 'every message answered 250');
  // at once: a Reception still on its way to the owner's event store would be lost now
  await lab.kumo.stop('SIGKILL');
  await waitUntil(() => pidsGone(pids), 20_000, 'owner and workers gone');
  await rx.listen();
  const kumo = await startWorkersServer(lab.lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  // the start wrote what the files lacked from the spool's journal (src/logging/record-journal.ts)
  const receptions = new Set(readRecords(lab.logsDir).filter((r) => r.type === 'Reception').map((r) => r.id));
  assert.equal(receptions.size, n, 'one Reception record per 250 in the files after the restart');
  await waitUntil(() => [...receptions].every((id) => byTypeId(rx).has(`Reception ${id}`)), 60_000, 'every Reception at the receiver').catch((e: Error) => {
    const got = byTypeId(rx);
    const missing = [...receptions].filter((id) => !got.has(`Reception ${id}`));
    throw new Error(`${e.message}: ${missing.length} of ${n} missing`);
  });
  const got = byTypeId(rx);
  const dups = [...got.entries()].filter(([k, c]) => k.startsWith('Reception ') && c > 1).length;
  t.diagnostic(`after the crash: ${got.size} distinct records received, ${dups} Reception duplicated (allowed after a crash)`);
  assert.equal(await kumo.stop('SIGTERM'), 0);
});
