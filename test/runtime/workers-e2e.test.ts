import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue, makeCa } from '../helpers/test-ca.js';
import { tempTree } from '../helpers/tmp.js';
import { countBy, freePort, waitUntil } from '../queue/lab.js';
import { spooledCount } from '../helpers/spool-peek.js';
import { injectSpread, readRecords, workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('workers = 2: every message is delivered exactly once, and both workers take connections', { timeout: 90_000 }, async (t) => {
  const domain = 'once.test';
  const httpPort = await freePort();
  // a listener certificate, so that its expiry gauge is served by every worker
  const certs = tempTree();
  cleanups.push(certs.cleanup);
  const leaf = await issue(await makeCa(), ['kumo.lab.test']);
  writeFileSync(join(certs.dir, 'cert.pem'), leaf.cert);
  writeFileSync(join(certs.dir, 'key.pem'), leaf.key);
  const notAfter = Math.floor(new Date(new X509Certificate(leaf.leaf).validTo).getTime() / 1000);
  const tls = `[listener.smtp.tls]\ncertificate = ${JSON.stringify(join(certs.dir, 'cert.pem'))}\nprivate_key = ${JSON.stringify(join(certs.dir, 'key.pem'))}\n`;
  const lab = await workersLab(domain, { cleanups, httpPort, main: tls });
  // two workers, each with its own pid, and the owner
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'the owner saw both workers ready');
  const ready = lab.kumo.lines.filter((l) => l.msg === 'reception worker ready');
  assert.equal(new Set(ready.map((l) => l.worker)).size, 2, 'two reception workers started');
  const accepted = await injectSpread(lab.smtpPort, domain, 300, 12);
  assert.equal(accepted.size, 300, 'every message answered 250');
  await waitUntil(() => lab.seen().size >= 300, 30_000, 'all 300 delivered').catch((e: Error) => {
    throw new Error(`${e.message}; delivered ${lab.seen().size}; log:\n${lab.kumo.lines.slice(-30).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await waitUntil(() => spooledCount(lab.spoolDir) === 0, 20_000, 'an empty spool');
  // a duplicate delivery would show here (the sink gets one copy per delivery)
  assert.equal(lab.got.length, 300, 'one delivery per message');
  // records reach the files within their flush interval (on disk before that in the spool's journal)
  await waitUntil(() => {
    const c = countBy(readRecords(lab.logsDir), (r) => r.type);
    return c.Reception === 300 && c.Delivery === 300;
  }, 5_000, '300 Reception and 300 Delivery records in the files').catch(() => undefined);
  const recs = readRecords(lab.logsDir);
  const byType = countBy(recs, (r) => r.type);
  assert.equal(byType.Reception, 300, 'one Reception record per message');
  assert.equal(byType.Delivery, 300, 'one Delivery record per message');
  assert.equal(new Set(recs.filter((r) => r.type === 'Delivery').map((r) => r.id)).size, 300);
  // the Reception records are in the workers' own files, both of them
  const perWorker = [1, 2].map((n) => lab.workerReceptions(n));
  t.diagnostic(`records: ${JSON.stringify(byType)}; Reception records per worker: ${JSON.stringify(perWorker)}`);
  for (const [i, n] of perWorker.entries()) assert.ok(n > 0, `worker ${i + 1} received messages`);
  assert.equal(perWorker[0]! + perWorker[1]!, 300, 'every Reception record is in a worker file');
  // the owner's /metrics adds up the workers' reception counters and its own delivery ones
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const received = [...text.matchAll(/^kumo_ts_smtp_received_total(?:\{[^}]*\})? (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(received, 300, `kumo_ts_smtp_received_total across workers:\n${text.split('\n').filter((l) => l.includes('smtp_received')).join('\n')}`);
  assert.match(text, /^kumo_ts_config_epoch 1$/m, 'the config epoch is the owner\'s, not a sum');
  // gauges every process sets for the same thing are one value, not the sum of the processes
  assert.match(text, /^kumo_ts_spool_healthy 1$/m, 'the spool is healthy: 1, not one per process');
  const expiry = /^kumo_ts_tls_certificate_not_after_seconds\{[^}]*listener="smtp"[^}]*\} (\d+)$/m.exec(text);
  assert.equal(Number(expiry?.[1]), notAfter, `the listener certificate's notAfter, once:\n${text.split('\n').filter((l) => l.includes('not_after')).join('\n')}`);
  assert.equal(await lab.kumo.stop('SIGTERM'), 0);
});
