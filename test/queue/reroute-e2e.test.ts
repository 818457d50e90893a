// A config change that moves a destination to another route while messages for it wait in an
// open connection's ready queue: the ones not yet sent are routed again, not sent the old way.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SinkMessage } from '../../src/sink/sink.js';
import { freePort, inject, runCleanups, seqOf, sinksOnOnePort, startLab, tagged, waitUntil } from './lab.js';

const cleanups: (() => unknown)[] = [];
after(() => runCleanups(cleanups));

test('messages queued behind an open connection follow a new mx_list at once; the one in flight finishes', { timeout: 120_000 }, async () => {
  const gotA: SinkMessage[] = [];
  const gotB: SinkMessage[] = [];
  // A is slow (each DATA held 1.5 s), so the later messages wait in its ready queue
  const [a, b] = await sinksOnOnePort(['127.0.0.2', '127.0.0.3'], (host) =>
    host === '127.0.0.2' ? { onMessage: (m) => gotA.push(m), dataDelayMs: 1500 } : { onMessage: (m) => gotB.push(m) });
  cleanups.push(() => a!.close(), () => b!.close());
  const smtpPort = await freePort();
  const lab = await startLab({
    smtpPort,
    sinkPort: a!.port,
    zone: '["reroute.test"]\nmx = ["10 mx-a.sink.test"]\n["mx-a.sink.test"]\na = ["127.0.0.2"]\n',
  }, cleanups, { 'config/shaping.toml': '["reroute.test"]\nconnection_limit = 1\n' });
  const n = 8;
  const accepted = await inject(smtpPort, Array.from({ length: n }, (_, i) => ({ from: 'a@kumo.test', to: [`r${i}@reroute.test`], data: tagged(i) })), 1);
  assert.equal(accepted.size, n);
  await waitUntil(() => gotA.length >= 1, 30_000, 'the first message at A');
  writeFileSync(join(lab.dir, 'config/queues.toml'), `[queue.'reroute.test']\nmx_list = ["[127.0.0.3]:${b!.port}"]\n`);
  await lab.kumo.waitFor((l) => l.msg === 'config epoch 2 live', 20_000, 'epoch 2');
  await waitUntil(() => gotA.length + gotB.length >= n, 60_000, 'every message delivered');
  const seqs = [...gotA, ...gotB].map((m) => seqOf(m.data)).sort((x, y) => x - y);
  assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i), 'each message delivered once');
  // at 1.5 s a message, A could not have taken them all before the change went live
  assert.ok(gotB.length >= 1, `the waiting messages went the new way (A ${gotA.length}, B ${gotB.length})`);
  assert.ok(gotA.length < n - 1, `A got only what was sent before the change (A ${gotA.length}, B ${gotB.length})`);
});
