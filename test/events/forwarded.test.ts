// Records a reception worker forwards to the owner's hook queues (`[server] workers` > 1): a
// line that is not JSON is reported and skipped; the others of the batch are still queued and sent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HookSubsystem } from '../../src/events/subsystem.js';
import type { RuntimeContext } from '../../src/runtime/subsystem.js';
import { freePort } from '../helpers/ports.js';
import { QueueHarness } from '../helpers/queue-harness.js';
import { webhookReceiver } from './receiver.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a forwarded line that is not JSON is logged and not queued; the rest of the batch reaches the hook', { timeout: 60_000 }, async () => {
  const rx = webhookReceiver(await freePort());
  await rx.listen();
  cleanups.push(() => rx.close());
  const h = await QueueHarness.start({
    zone: '',
    main: `[log_hook.wh]\nkind = "webhook"\nurl = "http://127.0.0.1:${rx.port}/events"\nbatch_size = 10\nbatch_wait = "50ms"\nretry_interval = "200ms"\n`,
  });
  cleanups.push(() => h.close());
  const hooks = new HookSubsystem({ spoolPath: join(h.root, 'spool'), records: h.records });
  // the hook subsystem uses the store and the log of its context only
  await hooks.start({ store: h.store, log: h.log } as unknown as RuntimeContext);
  cleanups.push(() => hooks.stop(Date.now() + 5_000));

  const good = JSON.stringify({ type: 'Reception', id: 'fwd-1', recipient: 'a@example.com', sender: 's@example.com', event_time: new Date().toISOString(), num_attempts: 0, meta: {} });
  await hooks.acceptForwarded(['{"type":"Reception", truncated', good]);

  const err = h.logLines.find((l) => l.includes('a forwarded record is not JSON; not queued'));
  assert.ok(err, `no error logged:\n${h.logLines.join('\n')}`);
  assert.match(err, /truncated/, 'the line (its start) is named');
  const t0 = Date.now();
  while (rx.records.length < 1 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(rx.records.map((r) => r.id), ['fwd-1']);
});
