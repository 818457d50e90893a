import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { countBy, freePort, inject, labConfig, readRecords, seqOf, sinksOnOnePort, startLabServer, tagged, waitUntil } from './lab.js';
import type { Outgoing } from './lab.js';
import { spooledCount } from '../helpers/spool-peek.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// three domains on two MX sites: alpha.test and beta.test share mx1/mx2.site-one.test
// (127.0.0.2), gamma.test is on mx.site-two.test (127.0.0.3)
const ZONE = `
["alpha.test"]
mx = ["10 mx1.site-one.test", "20 mx2.site-one.test"]
["beta.test"]
mx = ["10 mx1.site-one.test", "20 mx2.site-one.test"]
["gamma.test"]
mx = ["10 mx.site-two.test"]
["mx1.site-one.test"]
a = ["127.0.0.2"]
["mx2.site-one.test"]
a = ["127.0.0.2"]
["mx.site-two.test"]
a = ["127.0.0.3"]
`;

test('1,000 messages to three domains on two MX sites are each delivered exactly once; records counted on both sides', { timeout: 120_000 }, async (t) => {
  const got: { sink: string; m: SinkMessage }[] = [];
  const name = (host: string) => (host === '127.0.0.2' ? 'site-one' : 'site-two');
  const [siteOne, siteTwo] = await sinksOnOnePort(['127.0.0.2', '127.0.0.3'], (host) => ({ onMessage: (m) => got.push({ sink: name(host), m }) }));
  cleanups.push(() => siteOne.close(), () => siteTwo.close());

  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: siteOne.port, zone: ZONE });
  cleanups.push(lab.cleanup);
  const kumo: ServerProcess = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());

  const domains = ['alpha.test', 'beta.test', 'gamma.test'];
  const msgs: Outgoing[] = Array.from({ length: 1000 }, (_, i) => ({
    from: 'sender@kumo.test',
    to: [`user${i}@${domains[i % 3]}`],
    data: tagged(i),
  }));
  const t0 = Date.now();
  const accepted = await inject(smtpPort, msgs, 10);
  assert.equal(accepted.size, 1000);
  await waitUntil(() => siteOne.stats.messages + siteTwo.stats.messages >= 1000, 60_000, 'all 1000 at the sinks');
  t.diagnostic(`1000 messages relayed in ${Date.now() - t0} ms`);
  // a duplicate could only come from a message still spooled: wait until nothing is
  await waitUntil(() => spooledCount(join(lab.dir, 'spool')) === 0, 30_000, 'an empty spool');

  const seqs = got.map((g) => seqOf(g.m.data));
  assert.equal(got.length, 1000, 'no message delivered twice');
  assert.equal(new Set(seqs).size, 1000, 'every message delivered');
  for (const g of got) {
    const seq = seqOf(g.m.data);
    assert.deepEqual(g.m.to, [msgs[seq].to[0]]);
    assert.equal(g.sink, msgs[seq].to[0].endsWith('@gamma.test') ? 'site-two' : 'site-one');
    assert.equal(g.m.helo, 'kumo.lab.test');
  }
  assert.equal(siteOne.stats.messages, 667);
  assert.equal(siteTwo.stats.messages, 333);

  // kumo-ts side: one Reception and one Delivery per message, nothing else
  await waitUntil(() => readRecords(join(lab.dir, 'logs')).filter((r) => r.type === 'Delivery').length >= 1000, 10_000, 'delivery records');
  const recs = readRecords(join(lab.dir, 'logs'));
  const byType = countBy(recs, (r) => r.type);
  t.diagnostic(`kumo-ts records: ${JSON.stringify(byType)}; sinks: site-one ${siteOne.stats.messages}, site-two ${siteTwo.stats.messages}`);
  assert.deepEqual(byType, { Reception: 1000, Delivery: 1000 });
  const deliveries = recs.filter((r) => r.type === 'Delivery');
  assert.equal(new Set(deliveries.map((r) => r.id)).size, 1000);
  assert.deepEqual(countBy(deliveries, (r) => r.site ?? ''), { '(mx1|mx2).site-one.test': 667, 'mx.site-two.test': 333 });
  const d0 = deliveries[0];
  assert.equal(d0.response.code, 250);
  assert.equal(d0.egress_source, 'unspecified');
  assert.equal(d0.egress_pool, 'unspecified');
  assert.equal(d0.num_attempts, 1);
  assert.ok(d0.peer_address && ['127.0.0.2', '127.0.0.3'].includes(d0.peer_address.addr));
  assert.ok(['alpha.test', 'beta.test', 'gamma.test'].includes(d0.queue!));
});
