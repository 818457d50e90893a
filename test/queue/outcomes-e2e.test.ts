import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { sinkVerdict } from '../../src/sink/sink.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import type { LogRecord } from '../../src/logging/types.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from './lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const ZONE = `
["flaky.test"]
mx = ["10 mx.sink.test"]
["perm.test"]
mx = ["10 mx.sink.test"]
["expire.test"]
mx = ["10 mx.sink.test"]
["slow.test"]
mx = ["10 mx.sink.test"]
["nullmx.test"]
mx = ["0 ."]
["mx.sink.test"]
a = ["127.0.0.2"]
`;

const QUEUES = (sinkPort: number) => `
tenant_header = "X-Tenant"
campaign_header = "X-Campaign"
[tenant.'t1']
[queue.'flaky.test']
retry_interval = "1s"
[queue.'expire.test']
retry_interval = "1s"
max_age = "3s"
[queue.'slow.test']
retry_interval = "1h"
[queue.'routed.test']
routing_domain = "perm.test"
[queue.'smart.test']
mx_list = ["[127.0.0.2]:${sinkPort}"]
[queue.'maildir.test']
protocol = { maildir_path = "MAILDIR/{{ domain_part }}/{{ local_part }}" }
`;

test('tempfail then success on retry; permfail → Bounce; expiry → Expiration; null MX and NXDOMAIN → Bounce; retry state survives a restart', { timeout: 90_000 }, async (t) => {
  const tries = new Map<string, number>();
  const got: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({
    onMessage: (m) => got.push(m),
    verdict: (addr) => {
      const n = (tries.get(addr) ?? 0) + 1;
      tries.set(addr, n);
      // flaky: 451 on the first attempt, accepted on the second
      if (addr.startsWith('flaky@')) return n === 1 ? { kind: 'reject', code: 451, text: '4.7.0 try again later' } : { kind: 'accept' };
      return sinkVerdict(addr);
    },
  }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: ZONE, queues: '' });
  lab.write('config/queues.toml', QUEUES(sink.port).replace('MAILDIR', join(lab.dir, 'maildir')));
  cleanups.push(lab.cleanup);
  let kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());

  const from = 'sender@kumo.test';
  const msgs = [
    { from, to: ['flaky@flaky.test'], data: tagged(0) },
    { from, to: ['permfail@perm.test'], data: tagged(1) },
    { from, to: ['tempfail@expire.test'], data: tagged(2) },
    { from, to: ['someone@nullmx.test'], data: tagged(3) },
    { from, to: ['someone@nxdomain.test'], data: tagged(4) },
    // one message, three recipients, two domains: each recipient gets its own outcome
    { from, to: ['ok@perm.test', 'permfail+2@perm.test', 'tempfail@slow.test'], data: tagged(5) },
    // routing_domain: delivered by perm.test's MX, queue name gets !perm.test
    { from, to: ['a@routed.test'], data: tagged(6) },
    // smarthost with a port; tenant and campaign from headers, which are removed
    { from, to: ['b@smart.test'], data: tagged(7, 'X-Tenant: t1\r\nX-Campaign: c1\r\n') },
    // maildir protocol
    { from, to: ['box@maildir.test'], data: tagged(8) },
  ];
  const t0 = Date.now();
  assert.equal((await inject(smtpPort, msgs, 1)).size, msgs.length);
  const logs = join(lab.dir, 'logs');
  const recs = () => readRecords(logs);
  const of = (rcpt: string, type?: string) => recs().filter((r) => r.recipient === rcpt && r.type !== 'Reception' && (!type || r.type === type));
  await waitUntil(() => of('flaky@flaky.test', 'Delivery').length === 1 && of('tempfail@expire.test', 'Expiration').length === 1, 20_000, 'retry and expiry');

  // tempfail, then delivered on the retry about retry_interval later
  const flaky = of('flaky@flaky.test');
  assert.deepEqual(flaky.map((r) => [r.type, r.num_attempts, r.response.code]), [['TransientFailure', 1, 451], ['Delivery', 2, 250]]);
  const gap = Date.parse(flaky[1].event_time) - Date.parse(flaky[0].event_time);
  assert.ok(gap >= 850, `retried after ${gap} ms (retry_interval 1s)`);
  assert.equal(flaky[0].response.enhanced_code?.subject, 7);
  assert.equal(flaky[0].queue, 'flaky.test');
  assert.equal(got.filter((m) => m.to.includes('flaky@flaky.test')).length, 1);

  // permanent failure: one Bounce with the server's reply and a classification
  const perm = of('permfail@perm.test');
  assert.equal(perm.length, 1);
  assert.equal(perm[0].type, 'Bounce');
  assert.equal(perm[0].response.code, 550);
  assert.deepEqual(perm[0].response.enhanced_code, { class: 5, subject: 1, detail: 1 });
  assert.equal(perm[0].response.command, 'RCPT TO');
  assert.equal(perm[0].bounce_classification, 'InvalidRecipient');
  assert.equal(perm[0].peer_address?.addr, '127.0.0.2');
  assert.equal(perm[0].peer_address?.name, 'mx.sink.test');

  // expiry: transient failures until max_age, then Expiration
  const exp = of('tempfail@expire.test');
  assert.ok(exp.length >= 2);
  assert.ok(exp.slice(0, -1).every((r) => r.type === 'TransientFailure'));
  const last = exp.at(-1)!;
  assert.equal(last.type, 'Expiration');
  assert.equal(last.response.enhanced_code?.detail, 7);
  assert.ok(Date.parse(last.event_time) - t0 < 30_000, 'expired (max_age = 3s; a generous bound for a loaded machine)');

  // null MX and NXDOMAIN: bounced without a connection
  const nullmx = of('someone@nullmx.test');
  assert.deepEqual(nullmx.map((r) => [r.type, r.response.code, r.bounce_classification]), [['Bounce', 556, 'BadDomain']]);
  assert.equal(nullmx[0].peer_address, null);
  assert.deepEqual(of('someone@nxdomain.test').map((r) => [r.type, r.response.code, r.bounce_classification]), [['Bounce', 550, 'BadDomain']]);

  // routing_domain, smarthost, tenant/campaign queue names, maildir
  await waitUntil(() => of('b@smart.test').length === 1 && of('a@routed.test').length === 1 && of('box@maildir.test').length === 1, 10_000, 'routed deliveries');
  assert.deepEqual(of('a@routed.test').map((r) => [r.type, r.queue, r.site]), [['Delivery', 'routed.test!perm.test', 'mx.sink.test']]);
  const smart = of('b@smart.test')[0];
  assert.deepEqual([smart.type, smart.queue, smart.meta.tenant, smart.meta.campaign, smart.site], ['Delivery', 'c1:t1@smart.test', 't1', 'c1', `mx_list:[127.0.0.2]:${sink.port}`]);
  const atSink = got.find((m) => m.to.includes('b@smart.test'))!;
  assert.doesNotMatch(atSink.data.toString(), /^X-(Tenant|Campaign):/im, 'tenant and campaign headers removed');
  const box = of('box@maildir.test')[0];
  assert.equal(box.type, 'Delivery');
  const boxDir = join(lab.dir, 'maildir', 'maildir.test', 'box', 'new');
  assert.equal(readdirSync(boxDir).length, 1);
  assert.match(readFileSync(join(boxDir, readdirSync(boxDir)[0]), 'utf8'), /X-Lab-Seq: 8/);

  // multi-recipient message: delivered, bounced, and retried per recipient
  await waitUntil(() => of('tempfail@slow.test').length === 1, 10_000, 'slow.test attempt');
  assert.deepEqual(of('ok@perm.test').map((r) => r.type), ['Delivery']);
  assert.deepEqual(of('permfail+2@perm.test').map((r) => r.type), ['Bounce']);
  const slow = of('tempfail@slow.test')[0];
  assert.equal(slow.type, 'TransientFailure');
  const multiId = slow.id;

  // stop: only the multi-recipient message is left, with its retry state on disk
  assert.equal(await kumo.stop('SIGTERM'), 0);
  let spool = LmdbSpool.open({ path: join(lab.dir, 'spool') });
  try {
    assert.deepEqual(spool.ids(), [multiId]);
    const meta = (await spool.getMeta(multiId))!;
    assert.deepEqual(meta.recipients.map((r) => r.status), ['delivered', 'bounced', 'pending']);
    assert.equal(meta.attempts, 1);
    assert.ok(meta.due > Date.now() + 50 * 60_000, 'next attempt about an hour later');
  } finally {
    await spool.close();
  }

  // restart: the message is scheduled again for its saved time, not retried at once
  const multiBefore = recs().filter((r) => r.id === multiId).length;
  kumo = await startLabServer(lab.dir);
  await kumo.waitFor((l) => l.msg === 'queue: spool scanned' && l.messages === 1, 10_000, 'spool scan');
  // the positive signal: a message injected after the restart is delivered, so the queue has run
  assert.equal((await inject(smtpPort, [{ from, to: ['after-restart@perm.test'], data: tagged(9) }], 1)).size, 1);
  await waitUntil(() => of('after-restart@perm.test', 'Delivery').length === 1, 20_000, 'a message after the restart delivered');
  assert.equal(recs().filter((r) => r.id === multiId).length, multiBefore, 'the spooled message was not retried before its due time');
  assert.equal(await kumo.stop('SIGTERM'), 0);
  spool = LmdbSpool.open({ path: join(lab.dir, 'spool') });
  try {
    assert.equal((await spool.getMeta(multiId))?.attempts, 1);
  } finally {
    await spool.close();
  }
  const counts: Record<string, number> = {};
  for (const r of recs() as LogRecord[]) counts[r.type] = (counts[r.type] ?? 0) + 1;
  t.diagnostic(`records: ${JSON.stringify(counts)}; sink: ${JSON.stringify(sink.stats)}`);
});

test("a scheduled queue's max_message_rate spreads its messages out (held in order, one timer)", { timeout: 60_000 }, async () => {
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({}));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const lab = labConfig({ smtpPort, httpPort, sinkPort: sink.port, zone: '["rated.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n', queues: "[queue.'rated.test']\nmax_message_rate = \"4/s\"\n" });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());
  const msgs = Array.from({ length: 12 }, (_, i) => ({ from: 'a@kumo.test', to: [`u${i}@rated.test`], data: tagged(i) }));
  assert.equal((await inject(smtpPort, msgs, 2)).size, 12);
  const logs = join(lab.dir, 'logs');
  await waitUntil(() => readRecords(logs).filter((r) => r.type === 'Delivery').length === 12, 20_000, '12 deliveries');
  const times = readRecords(logs).filter((r) => r.type === 'Delivery').map((r) => Date.parse(r.event_time)).sort((a, b) => a - b);
  // a burst of 4, then one every 250 ms: the last about 2 s after the first
  const span = times[11] - times[0];
  assert.ok(span >= 1500 && span < 6000, `12 messages at 4/s took ${span} ms`);
  // each held message got KumoMTA's Delayed record, due about when it went
  const held = assertRateDelayed(readRecords(logs), /^u\d+@/, 'Received, MessageRateThrottle');
  assert.ok(held >= 6, `${held} Delayed records for 12 messages at 4/s`);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, new RegExp(`^kumo_ts_delayed_due_to_message_rate_throttle_total\\{queue="rated.test"\\} ${held}$`, 'm'));
});

/**
 * The Delayed records of messages held at a message rate (`context`: KumoMTA's insert context):
 * 400 without an enhanced code, no site, due within a second of the message's delivery; each
 * recipient once. Returns how many there are among the recipients matching `who`.
 */
function assertRateDelayed(recs: LogRecord[], who: RegExp, context: string): number {
  const delivered = new Map(recs.filter((r) => r.type === 'Delivery').map((r) => [String(r.recipient), Date.parse(r.event_time)]));
  const delayed = recs.filter((r) => r.type === 'Delayed' && who.test(String(r.recipient)));
  for (const r of delayed) {
    const m = /^Context: (.+)\. Next due in (?:\d+(?:d|h|m|s|ms) ?)+ at (\S+)$/.exec(r.response.content);
    assert.ok(m, `content: ${r.response.content}`);
    assert.equal(m[1], context);
    assert.equal(r.response.code, 400);
    assert.equal(r.response.enhanced_code, null);
    assert.equal(r.site, '');
    assert.equal(r.num_attempts, 0);
    const went = delivered.get(String(r.recipient));
    assert.ok(went !== undefined, `${r.recipient} delivered after its delay`);
    const due = Date.parse(m[2]);
    assert.ok(due > r.timestamp * 1000 - 1 && Math.abs(went - due) < 1000, `${r.recipient}: due ${m[2]}, delivered ${new Date(went).toISOString()}`);
  }
  assert.equal(new Set(delayed.map((r) => r.recipient)).size, delayed.length, 'one Delayed record per held recipient');
  assert.equal(recs.filter((r) => r.type === 'TransientFailure').length, 0, 'a rate delay is no transient failure');
  return delayed.length;
}

test("a tenant's overall_max_message_rate spans its queues; its campaign's limits the campaign alone", { timeout: 60_000 }, async () => {
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({}));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const zone = ['a', 'b', 'c'].map((d) => `["${d}.rated.test"]\nmx = ["10 mx.sink.test"]\n`).join('') + '["mx.sink.test"]\na = ["127.0.0.2"]\n';
  const queues = 'tenant_header = "X-Tenant"\ncampaign_header = "X-Campaign"\n[tenant.t1]\noverall_max_message_rate = "4/s"\n[tenant.t2]\n[tenant.t2.campaigns.slow]\noverall_max_message_rate = "4/s"\n';
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone, queues });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());
  // 12 messages of t1 over three domains (three scheduled queues, none with a rate of its own);
  // 12 of t2 without a campaign and 12 of its campaign "slow", over the same three domains
  const msg = (i: number, tenant: string, campaign?: string) => ({ from: 'a@kumo.test', to: [`${tenant}${campaign ?? ''}${i}@${'abc'[i % 3]}.rated.test`], data: tagged(i, `X-Tenant: ${tenant}\r\n${campaign ? `X-Campaign: ${campaign}\r\n` : ''}`) });
  const msgs = [...Array.from({ length: 12 }, (_, i) => msg(i, 't1')), ...Array.from({ length: 12 }, (_, i) => msg(i, 't2')), ...Array.from({ length: 12 }, (_, i) => msg(i, 't2', 'slow'))];
  assert.equal((await inject(smtpPort, msgs, 4)).size, 36);
  const logs = join(lab.dir, 'logs');
  await waitUntil(() => readRecords(logs).filter((r) => r.type === 'Delivery').length === 36, 30_000, '36 deliveries');
  const span = (prefix: RegExp) => {
    const times = readRecords(logs).filter((r) => r.type === 'Delivery' && prefix.test(String(r.recipient))).map((r) => Date.parse(r.event_time)).sort((a, b) => a - b);
    assert.equal(times.length, 12);
    return times[11] - times[0];
  };
  // a burst of 4, then one every 250 ms across the three queues: the last about 2 s after the first
  const t1 = span(/^t1\d/);
  assert.ok(t1 >= 1500 && t1 < 8000, `12 messages of tenant t1 at 4/s took ${t1} ms`);
  const slow = span(/^t2slow\d/);
  assert.ok(slow >= 1500 && slow < 8000, `12 messages of campaign t2/slow at 4/s took ${slow} ms`);
  // the same tenant outside the campaign is not held back
  const t2 = span(/^t2\d/);
  assert.ok(t2 < 1500, `12 messages of tenant t2 without a campaign took ${t2} ms`);
  // KumoMTA applies these in throttle_insert_ready_queue: their Delayed records say so
  const recs = readRecords(logs);
  assert.ok(assertRateDelayed(recs, /^t1\d/, 'Received, ThrottledByThrottleInsertReadyQueue') >= 6);
  assert.ok(assertRateDelayed(recs, /^t2slow\d/, 'Received, ThrottledByThrottleInsertReadyQueue') >= 6);
  assert.equal(assertRateDelayed(recs, /^t2\d/, ''), 0, 'tenant t2 outside the campaign was not held');
});

test('TLS details of the delivery are in its log record (enable_tls from shaping.toml)', { timeout: 60_000 }, async () => {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'mx.sink.test' }], { keySize: 2048, algorithm: 'sha256' });
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ starttls: true, cert: pems.cert, key: pems.private }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: '["tls.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n' });
  cleanups.push(lab.cleanup);
  // a self-signed lab certificate: verification would fail (and Opportunistic does not fall back)
  lab.write('config/shaping.toml', '["tls.test"]\nenable_tls = "OpportunisticInsecure"\n');
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());
  assert.equal((await inject(smtpPort, [{ from: 'a@kumo.test', to: ['x@tls.test'], data: tagged(1) }], 1)).size, 1);
  const logs = join(lab.dir, 'logs');
  await waitUntil(() => readRecords(logs).some((r) => r.type === 'Delivery'), 20_000, 'delivery');
  const d = readRecords(logs).find((r) => r.type === 'Delivery')!;
  assert.match(d.tls_protocol_version ?? '', /^TLSv1\.[23]$/);
  assert.ok(d.tls_cipher);
  assert.deepEqual(d.tls_peer_subject_name, ['mx.sink.test']);
});
