// Issue 9 (should fix): log records lost on kill -9. A Reception record must be on disk before
// the 250, a Delivery record before the spool forgets its recipient. The Reception record is
// on disk in the spool's journal with its message (src/logging/record-journal.ts): the next
// start writes to the log what the log file did not get, and nothing twice.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { decodeSupplemental } from '../../src/smtp/trace-headers.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import { SmtpClient } from '../smtp/helpers.js';
import { freePort, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function kumoRef(m: SinkMessage): string | undefined {
  const h = /^X-KumoRef:\s*(\S+)\r?$/im.exec(m.data.toString('latin1'));
  return h ? decodeSupplemental(h[1]!)?.id : undefined;
}

test('kill -9 under load: every 250 has its Reception record (once, after the restart), every message gone from the spool its Delivery record', { timeout: 120_000 }, async (t) => {
  const got: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: 5 }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const zone = '\n["rec.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n';
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));

  // 8 sessions sending until the process dies; the id of every 250 is kept
  const acked = new Set<string>();
  let seq = 0;
  let stop = false;
  const worker = async () => {
    let c: SmtpClient;
    try {
      c = await SmtpClient.connect(smtpPort);
      await c.hello('load.test');
    } catch {
      return;
    }
    while (!stop) {
      const i = seq++;
      try {
        const r = await c.send('sender@kumo.test', [`u${i}@rec.test`], tagged(i));
        const id = /\bid=(\S+)/.exec(r.final?.text ?? '')?.[1];
        if (r.final?.code === 250 && id) acked.add(id);
      } catch {
        return; // the server died mid-transaction: no 250 for this one
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await waitUntil(() => got.length >= 300 && acked.size >= 400, 40_000, 'load under way (deliveries and receptions)');
  kumo.child.kill('SIGKILL');
  await kumo.stop('SIGKILL');
  stop = true;
  await Promise.all(workers);

  // what the spool held at the kill; then the restart writes the journaled records
  const spool = LmdbSpool.open({ path: join(lab.dir, 'spool') });
  const spooled = new Set(spool.ids());
  const journaled = spool.journal('').length;
  await spool.close();
  const inFilesAtKill = new Set(readRecords(join(lab.dir, 'logs')).filter((r) => r.type === 'Reception').map((r) => r.id));
  const again = await startLabServer(lab.dir);
  cleanups.push(() => again.stop('SIGKILL'));
  const restored = again.lines.find((l) => l.msg === 'log records restored from the spool journal');
  assert.equal(await again.stop(), 0);

  const records = readRecords(join(lab.dir, 'logs'));
  const receptions = records.filter((r) => r.type === 'Reception').map((r) => r.id);
  const reception = new Set(receptions);
  const delivery = new Set(records.filter((r) => r.type === 'Delivery').map((r) => r.id));
  const delivered = new Set(got.map(kumoRef).filter((x): x is string => !!x));
  const twice = receptions.filter((id, i) => receptions.indexOf(id) !== i);
  const leftInJournal = LmdbSpool.open({ path: join(lab.dir, 'spool') });
  const journalAfter = leftInJournal.journal('').length;
  await leftInJournal.close();

  const noReception = [...acked].filter((id) => !reception.has(id));
  const gone = [...acked].filter((id) => !spooled.has(id));
  const noDelivery = gone.filter((id) => !delivery.has(id));
  const notInFiles = [...acked].filter((id) => !inFilesAtKill.has(id)).length;
  t.diagnostic(`acked ${acked.size}, delivered per the sink ${delivered.size}, still spooled ${spooled.size}, ` +
    `gone from the spool ${gone.length}; journal entries at the kill ${journaled}, acked without a Reception line in the files at the kill ${notInFiles}, ` +
    `restored ${JSON.stringify(restored ?? null)}; missing Reception ${noReception.length}, twice ${twice.length}, missing Delivery ${noDelivery.length}`);
  assert.ok(gone.length >= 100, `deliveries had finished before the kill (${gone.length})`);
  assert.ok(gone.every((id) => delivered.has(id)), 'every message gone from the spool was delivered (per the sink)');
  assert.deepEqual(noReception, [], `${noReception.length} messages got a 250 without a Reception record on disk`);
  assert.deepEqual(noDelivery, [], `${noDelivery.length} messages left the spool without a Delivery record on disk`);
  assert.deepEqual(twice, [], 'no Reception record is written twice (the restart skips lines a log file has)');
  assert.equal(journalAfter, 0, 'the restart leaves no journal entry behind');
});
