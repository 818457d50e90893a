// Every record type, made through the real path (SMTP in on a real listener of a kumo-ts child
// process, delivery to real sinks answering 250 / 4xx / 5xx, expiry, a shaping Bounce rule,
// a refused RCPT, an OOB bounce and an ARF report to log_oob / log_arf domains), compared field
// by field — names, JSON types, order — with KumoMTA's documented log record
// (fixtures/kumomta-log-record.json, copied from https://docs.kumomta.com/reference/log_record/),
// plus the per-type values KumoMTA's source gives each type (crates/kumod/src/logging/
// disposition.rs, rejection.rs; crates/kumod/src/smtp_server.rs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LogRecord } from '../../src/logging/types.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { supplementalHeader } from '../../src/smtp/trace-headers.js';
import { arfReport, dsnReport } from '../helpers/report-messages.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, readRecords, sinksOnOnePort, startLabServer, waitUntil } from '../queue/lab.js';
import { RFC3339, UUID, compareShape, recordsLab, sendFrom } from './helpers.js';
import type { ShapeRules } from './helpers.js';

const FIXTURE = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'records', 'fixtures', 'kumomta-log-record.json'), 'utf8')) as {
  nullable: string[];
  optional: string[];
  record: Record<string, unknown>;
  feedback_report: Record<string, unknown>;
};

const RULES: ShapeRules = {
  nullable: new Set([
    ...FIXTURE.nullable,
    // Response (rfc5321): enhanced_code and command are Option, always written
    'response.enhanced_code', 'response.command',
    // ARFReport (rfc5965.rs): the Option fields
    ...['arrival_date', 'incidents', 'original_envelope_id', 'original_mail_from', 'reporting_mta', 'source_ip', 'original_message', 'supplemental_trace'].map((k) => `feedback_report.${k}`),
  ]),
  // MaybeProxiedSourceAddress: server and protocol skipped when None
  optional: new Set([...FIXTURE.optional, 'source_address.protocol', 'source_address.server']),
  free: new Set(['meta', 'headers', 'feedback_report.extensions', 'feedback_report.supplemental_trace']),
};
const DOC = { ...FIXTURE.record, feedback_report: FIXTURE.feedback_report };

const ZONE = `
["ok.test"]
mx = ["10 mx.sink.test"]
["other.test"]
mx = ["10 mx.sink.test"]
["exp.test"]
mx = ["10 mx.sink.test"]
["bnc.test"]
mx = ["10 mx.bnc.test"]
["mx.sink.test"]
a = ["127.0.0.2"]
["mx.bnc.test"]
a = ["127.0.0.3"]
`;

describe('log records in KumoMTA\'s format', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let lab: ReturnType<typeof recordsLab>;
  const ids: Record<string, string> = {};
  let recs: LogRecord[] = [];
  const one = (type: string, pred: (r: LogRecord) => boolean = () => true) => {
    const r = recs.find((x) => x.type === type && pred(x));
    assert.ok(r, `a ${type} record; have: ${recs.map((x) => `${x.type}:${String(x.recipient)}`).join(' ')}`);
    return r;
  };

  before(async () => {
    const sinks = await sinksOnOnePort(['127.0.0.2', '127.0.0.3']);
    cleanups.push(...sinks.map((s) => () => s.close()));
    smtpPort = await freePort();
    lab = recordsLab({
      smtpPort,
      sinkPort: sinks[0]!.port,
      zone: ZONE,
      queues: `[queue.'exp.test']\nretry_interval = "1s"\nmax_age = "2s"\n`,
      // 127.0.0.9 is not a relay host: a foreign recipient is refused, reports are only logged
      listener: 'relay_hosts = ["127.0.0.1"]',
      logs: 'headers = ["Subject", "Message-ID", "X-Tag*"]',
    });
    lab.write('config/listener_domains.toml', '["bounces.test"]\nlog_oob = true\n\n["fbl.test"]\nlog_arf = true\n');
    lab.write('config/shaping.toml', '["bnc.test"]\n[["bnc.test".automation]]\nregex = "bounce me please"\naction = "Bounce"\nduration = "1h"\n');
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());

    const from = 'news@kumo.test';
    const body = (subject: string, extra = '') => `From: ${from}\r\nTo: someone\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@kumo.test>\r\n${extra}\r\nbody\r\n`;
    // 250, 5xx, 4xx until expiry, and one message for two domains
    const accepted = await inject(smtpPort, [
      { from, to: ['ok@ok.test'], data: body('Hello =?utf-8?q?w=C3=B6rld?=', 'X-Tag-A: one\r\nX-Tag-A: two\r\nX-Other: no\r\n') },
      { from, to: ['permfail@ok.test'], data: body('perm') },
      { from, to: ['tempfail@exp.test'], data: body('temp') },
      { from, to: ['a@ok.test', 'b@other.test'], data: body('two domains') },
      { from, to: ['550-bounce-me-please@bnc.test'], data: body('trigger') },
    ], 1);
    assert.equal(accepted.size, 5);
    // the shaping Bounce rule fires on that 550: the next message of the path is an AdminBounce
    await kumo.waitFor((l) => l.msg === 'shaping automation: rule fired' && l.action === 'Bounce', 20_000, 'the Bounce rule to fire');
    await inject(smtpPort, [{ from, to: ['ok@bnc.test'], data: body('admin bounced') }], 1);

    await waitUntil(() => readRecords(lab.logs).some((r) => r.type === 'Delivery' && r.recipient === 'ok@ok.test'), 20_000, 'the delivery');
    ids.delivered = readRecords(lab.logs).find((r) => r.type === 'Delivery' && r.recipient === 'ok@ok.test')!.id;

    // from a client that may not relay: a refused RCPT, then an OOB bounce about the delivered
    // message and an ARF report, on one session
    const reports = await sendFrom(smtpPort, '127.0.0.9', [
      { from: '', to: ['bounce-1@bounces.test'], data: dsn(ids.delivered) },
      { from: 'fbl@isp.test', to: ['fbl@fbl.test'], data: arf(ids.delivered) },
    ]);
    assert.deepEqual(reports.map((r) => r.ok), [true, true], String(reports.map((r) => r.error?.message)));
    ids.dsn = reports[0]!.id!;
    ids.arf = reports[1]!.id!;
    const [refused] = await sendFrom(smtpPort, '127.0.0.9', [{ from: 'x@remote.test', to: ['victim@foreign.test'], data: body('refused') }]);
    assert.equal(refused!.ok, false);

    await waitUntil(() => {
      recs = readRecords(lab.logs);
      const types = new Set(recs.map((r) => r.type));
      return ['Reception', 'Delivery', 'Bounce', 'TransientFailure', 'Expiration', 'AdminBounce', 'OOB', 'Feedback', 'Rejection'].every((t) => types.has(t as LogRecord['type']))
        && recs.filter((r) => r.type === 'Delivery').length >= 3;
    }, 30_000, 'every record type');
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  for (const type of ['Reception', 'Delivery', 'TransientFailure', 'Bounce', 'Expiration', 'AdminBounce', 'OOB', 'Feedback', 'Rejection'] as const) {
    test(`${type}: every field as KumoMTA's documented record has it (name, JSON type, order)`, (t) => {
      const of = recs.filter((r) => r.type === type);
      assert.ok(of.length, `a ${type} record`);
      t.diagnostic(JSON.stringify(of[0]));
      for (const r of of) assert.deepEqual(compareShape(r, DOC, RULES), [], `${type} ${JSON.stringify(r)}`);
    });
  }

  test('common values: integer epoch + RFC 3339 times that agree, one string recipient, the node id from the spool directory', () => {
    const nodeid = readFileSync(join(lab.spool, '.nodeid'), 'utf8').trim();
    assert.match(nodeid, UUID);
    for (const r of recs) {
      assert.equal(typeof r.recipient, 'string', 'one record per recipient');
      assert.match(r.event_time, RFC3339);
      assert.match(r.created_time, RFC3339);
      assert.equal(r.timestamp, Math.floor(Date.parse(r.event_time) / 1000));
      assert.equal(r.created, Math.floor(Date.parse(r.created_time) / 1000));
      assert.equal(r.nodeid, nodeid);
      if (r.session_id !== undefined) assert.match(r.session_id, UUID);
      assert.equal(typeof r.bounce_classification, 'string');
    }
  });

  test('Reception: one per recipient with its own queue, a bare 250, no site, ESMTP, the inbound session', () => {
    const two = recs.filter((r) => r.type === 'Reception' && (r.recipient === 'a@ok.test' || r.recipient === 'b@other.test'));
    assert.deepEqual(two.map((r) => [r.recipient, r.queue]), [['a@ok.test', 'ok.test'], ['b@other.test', 'other.test']]);
    assert.equal(two[0]!.id, two[1]!.id);
    const r = one('Reception', (x) => x.recipient === 'ok@ok.test');
    assert.deepEqual(r.response, { code: 250, enhanced_code: null, content: '', command: null });
    assert.equal(r.site, '');
    assert.equal(r.num_attempts, 0);
    assert.equal(r.bounce_classification, 'Uncategorized');
    assert.equal(r.delivery_protocol, null);
    assert.equal(r.reception_protocol, 'ESMTP');
    assert.equal(r.peer_address?.addr, '127.0.0.1');
    assert.ok(r.size > 0);
    assert.match(r.session_id ?? '', UUID);
    assert.equal(r.created, r.timestamp);
  });

  test('header capture: [logs] headers on the Reception and the Delivery of the message (decoded, repeated ones as an array, X-Tag* prefix)', () => {
    const want = { Subject: 'Hello wörld', 'Message-ID': '<Helloutf8qwC3B6rld@kumo.test>', 'X-Tag-A': ['one', 'two'] };
    assert.deepEqual(one('Reception', (x) => x.recipient === 'ok@ok.test').headers, want);
    assert.deepEqual(one('Delivery', (x) => x.recipient === 'ok@ok.test').headers, want);
    assert.deepEqual(Object.keys(one('Bounce', (x) => x.recipient === 'permfail@ok.test').headers).sort(), ['Message-ID', 'Subject']);
  });

  test('Delivery, TransientFailure, Bounce: the site, peer, egress, source address, outbound session and protocol', () => {
    const d = one('Delivery', (x) => x.recipient === 'ok@ok.test');
    assert.equal(d.queue, 'ok.test');
    assert.equal(d.site, 'mx.sink.test');
    assert.deepEqual(d.peer_address, { name: 'mx.sink.test', addr: '127.0.0.2' });
    assert.equal(d.response.code, 250);
    assert.equal(d.response.command, '.', 'the reply to the end of the message');
    assert.equal(d.bounce_classification, 'Uncategorized');
    assert.equal(d.delivery_protocol, 'ESMTP');
    assert.equal(d.egress_source, 'unspecified');
    assert.match(d.source_address?.address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.match(d.session_id ?? '', UUID);
    assert.equal(d.num_attempts, 1);
    const b = one('Bounce', (x) => x.recipient === 'permfail@ok.test');
    assert.deepEqual([b.response.code, b.response.enhanced_code, b.bounce_classification], [550, { class: 5, subject: 1, detail: 1 }, 'InvalidRecipient']);
    const t = one('TransientFailure', (x) => x.recipient === 'tempfail@exp.test');
    assert.equal(t.response.code, 451);
    assert.equal(t.delivery_protocol, 'ESMTP');
    assert.notEqual(t.bounce_classification, undefined);
  });

  test('Expiration and AdminBounce: no delivery protocol; AdminBounce from the shaping rule', () => {
    const e = one('Expiration', (x) => x.recipient === 'tempfail@exp.test');
    assert.deepEqual(e.response.enhanced_code, { class: 5, subject: 4, detail: 7 });
    assert.equal(e.delivery_protocol, null);
    assert.equal(e.response.command, null, 'made up by kumo-ts: no command');
    assert.equal(e.bounce_classification, 'MessageExpired');
    const a = one('AdminBounce', (x) => x.recipient === 'ok@bnc.test');
    assert.equal(a.delivery_protocol, null);
    assert.match(a.response.content, /bounced by shaping automation/);
  });

  test('Rejection: no message (id "", size 0, no queue or site), the enhanced code, the command and the recipient', () => {
    const r = one('Rejection', (x) => x.recipient === 'victim@foreign.test');
    assert.deepEqual([r.id, r.size, r.queue, r.site], ['', 0, '', '']);
    assert.equal(r.response.code, 550);
    assert.deepEqual(r.response.enhanced_code, { class: 5, subject: 7, detail: 1 });
    assert.equal(r.response.command, 'RCPT TO:<victim@foreign.test>');
    assert.equal(r.sender, 'x@remote.test');
    assert.equal(r.peer_address?.addr, '127.0.0.9');
    assert.equal(r.peer_address?.name, 'client.lab.test');
    assert.match(r.session_id ?? '', UUID);
    // another connection (another client address), another session
    assert.notEqual(r.session_id, one('Reception', (x) => x.recipient === 'ok@ok.test').session_id);
  });

  test('OOB: one per failed recipient of the report, addressed to the bounce address, the reporting MTA as peer, the original id in meta', () => {
    const oob = recs.filter((r) => r.type === 'OOB');
    assert.deepEqual(oob.map((r) => r.recipient), ['gone@remote.test'], 'the delayed recipient is not logged');
    const r = oob[0]!;
    assert.equal(r.id, ids.dsn);
    assert.equal(r.sender, 'bounce-1@bounces.test');
    assert.equal(r.queue, 'bounces.test');
    assert.deepEqual(r.response, { code: 550, enhanced_code: { class: 5, subject: 1, detail: 1 }, content: '5.1.1 no such user', command: null });
    assert.deepEqual(r.peer_address, { name: 'mx.remote.test', addr: '127.0.0.9' });
    assert.equal(r.meta.original_id, ids.delivered);
    assert.equal(r.bounce_classification, 'InvalidRecipient');
    // its message's Reception, on the same inbound session
    const rec = one('Reception', (x) => x.id === ids.dsn);
    assert.equal(rec.session_id, r.session_id);
  });

  test('Feedback: instead of the Reception record, with the parsed report in feedback_report', () => {
    const f = one('Feedback', (x) => x.id === ids.arf);
    assert.equal(f.recipient, 'fbl@fbl.test');
    assert.equal(recs.filter((r) => r.type === 'Reception' && r.id === ids.arf).length, 0);
    const fr = f.feedback_report!;
    assert.equal(fr.feedback_type, 'abuse');
    assert.deepEqual(fr.original_rcpto_to, ['user@isp.test']);
    assert.deepEqual(fr.supplemental_trace, { id: ids.delivered });
    assert.equal(f.session_id, one('OOB').session_id, 'the same inbound session as the OOB report before it');
  });
});

test('the comparison catches what the old records did differently', () => {
  // a Delivery record as kumo-ts wrote it before: fractional epoch times, no RFC 3339 times,
  // tenant/campaign at the top, tls fields null, no nodeid / headers / source_address
  const old = {
    type: 'Delivery', id: 'x', sender: 's@a', recipient: 'r@b', queue: 'b', site: 'mx.b', size: 1,
    response: { code: 250, enhanced_code: null, content: 'OK', command: 'DATA' }, peer_address: { name: 'mx.b', addr: '127.0.0.2' },
    timestamp: 1757675281.44, created: 1757675281.1, num_attempts: 1, egress_pool: null, egress_source: 'unspecified',
    tls_cipher: null, reception_protocol: 'ESMTP', tenant: null, campaign: null, meta: {},
  };
  const diff = compareShape(old, DOC, RULES);
  for (const want of ['timestamp: number where KumoMTA has integer', 'event_time: missing', 'created_time: missing', 'nodeid: missing',
    'headers: missing', 'bounce_classification: missing', 'source_address: missing', 'tenant: not a KumoMTA field', 'tls_cipher: null where KumoMTA has string'])
    assert.ok(diff.includes(want), `${want} in ${diff.join('; ')}`);
});

function dsn(originalId: string): string {
  return dsnReport({
    to: 'bounce-1@bounces.test',
    recipients: [
      ['Final-Recipient: rfc822; <gone@remote.test>', 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 no such user'],
      ['Final-Recipient: rfc822; later@remote.test', 'Action: delayed', 'Status: 4.4.1'],
    ],
    originalHeaders: [supplementalHeader('X-KumoRef', originalId).trimEnd(), 'From: news@kumo.test', 'Subject: Hello', ''],
  });
}

function arf(originalId: string): string {
  return arfReport({
    fields: ['Original-Rcpt-To: <user@isp.test>', 'Arrival-Date: Mon, 3 Mar 2025 10:00:00 +0000'],
    // the original carries our supplemental trace header: the report names the message
    original: [supplementalHeader('X-KumoRef', originalId).trimEnd(), 'From: news@kumo.test', 'Subject: Hello', '', 'body'],
  });
}
