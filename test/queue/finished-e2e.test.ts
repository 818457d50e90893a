// A message in the spool whose recipients all have their final outcome (the process stopped
// between the last outcome and the removal) is removed at the next start, not delivered again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { freePort, labConfig, startLabServer } from './lab.js';

test('a spooled message with nothing pending is removed at start, never attempted', async () => {
  const lab = labConfig({ smtpPort: await freePort(), sinkPort: await freePort(), zone: '' });
  after(() => lab.cleanup());
  const path = join(lab.dir, 'spool');
  const body = Buffer.from('Subject: done\r\n\r\nhi\r\n');
  const meta = (id: string, status: 'delivered' | 'pending'): SpoolMeta => ({
    id, sender: 'a@kumo.test', recipients: [{ address: `r@${id}.test`, status }],
    receivedAt: Date.now(), size: body.length, reception: { protocol: 'ESMTP' }, attempts: 1, due: Date.now() + 3600_000,
  });
  const before = LmdbSpool.open({ path });
  await before.putMany([{ meta: meta('finished', 'delivered'), body }, { meta: meta('waiting', 'pending'), body }]);
  await before.close();

  const kumo = await startLabServer(lab.dir);
  await kumo.waitFor((l) => l.msg === 'spool open', 10_000, 'spool open');
  assert.equal(await kumo.stop(), 0);
  assert.ok(!kumo.lines.some((l) => JSON.stringify(l).includes('finished.test')), 'no attempt or record for the finished message');

  const afterwards = LmdbSpool.open({ path });
  try {
    const ids: string[] = [];
    for await (const m of afterwards.scan()) ids.push(m.id);
    assert.deepEqual(ids, ['waiting'], 'the finished message is gone; the pending one stays');
  } finally {
    await afterwards.close();
  }
});
