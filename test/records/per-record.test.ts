// [logs] per_record (KumoMTA's per_record enable / Any) through a kumo-ts child process, its
// config validation, and header capture's parsing rules.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { captureHeaders } from '../../src/logging/header-capture.js';
import { recordEnabled } from '../../src/logging/record-policy.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort, inject, readRecords, sinksOnOnePort, startLabServer, waitUntil } from '../queue/lab.js';
import { recordsLab, sendFrom } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('[logs.per_record]', () => {
  test('Any = false with Delivery and Bounce enabled: only those two types are written', { timeout: 60_000 }, async () => {
    const [sink] = await sinksOnOnePort(['127.0.0.2']);
    cleanups.push(() => sink!.close());
    const smtpPort = await freePort();
    const lab = recordsLab({
      smtpPort,
      sinkPort: sink!.port,
      zone: '["ok.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n',
      listener: 'relay_hosts = ["127.0.0.1"]',
      logs: '[logs.per_record.Any]\nenable = false\n[logs.per_record.Delivery]\nenable = true\n[logs.per_record.Bounce]\nenable = true\n',
    });
    cleanups.push(lab.cleanup);
    const kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());

    // a refused RCPT first: its Rejection would be in the file before any later record
    const [refused] = await sendFrom(smtpPort, '127.0.0.9', [{ from: 'x@remote.test', to: ['victim@foreign.test'], data: 'Subject: x\r\n\r\nx\r\n' }]);
    assert.equal(refused!.error?.responseCode, 550);
    // one transaction, three outcomes written together: Delivery, TransientFailure, Bounce
    await inject(smtpPort, [{ from: 'a@kumo.test', to: ['ok@ok.test', 'tempfail@ok.test', 'permfail@ok.test'], data: 'Subject: three\r\n\r\nbody\r\n' }], 1);
    await waitUntil(() => readRecords(lab.logs).some((r) => r.type === 'Bounce') && readRecords(lab.logs).some((r) => r.type === 'Delivery'), 20_000, 'the Delivery and Bounce records');
    await new Promise((r) => setTimeout(r, 300)); // a record written in the same turn would be flushed by now
    assert.deepEqual(readRecords(lab.logs).map((r) => `${r.type} ${String(r.recipient)}`).sort(), ['Bounce permfail@ok.test', 'Delivery ok@ok.test']);
  });

  test('the KumoMTA rule: a type\'s own enable, else Any\'s, else written', () => {
    assert.equal(recordEnabled(undefined, 'TransientFailure'), true);
    const tfOff = new Map([['TransientFailure', false]] as const);
    assert.equal(recordEnabled(tfOff, 'TransientFailure'), false);
    assert.equal(recordEnabled(tfOff, 'Delivery'), true);
    const anyOff = new Map([['Any', false], ['Bounce', true]] as const);
    assert.equal(recordEnabled(anyOff, 'Bounce'), true);
    assert.equal(recordEnabled(anyOff, 'Reception'), false);
  });

  test('config: per_record and headers compile; an unknown record type or key is an error naming it', async () => {
    const good = tempTree({ 'kumo.toml': '[server]\nsmtp = false\n[logs]\nheaders = ["Subject", "X-*"]\n[logs.per_record.TransientFailure]\nenable = false\n' });
    cleanups.push(good.cleanup);
    const ok = await compileConfig({ root: good.dir });
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.issues));
    assert.deepEqual([...ok.snapshot.main.logs.perRecord], [['TransientFailure', false]]);
    assert.deepEqual(ok.snapshot.main.logs.headers, ['Subject', 'X-*']);
    const bad = tempTree({ 'kumo.toml': '[server]\nsmtp = false\n[logs.per_record.Deliveries]\nenable = false\n[logs.per_record.Bounce]\nsuffix = ".csv"\n' });
    cleanups.push(bad.cleanup);
    const res = await compileConfig({ root: bad.dir });
    assert.equal(res.ok, false);
    const text = !res.ok ? res.issues.map(formatIssue).join('\n') : '';
    assert.match(text, /Deliveries/);
    assert.match(text, /suffix/);
  });
});

describe('header capture', () => {
  const head = (lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');

  test('names as in the message, unfolded and RFC 2047-decoded, repeated fields as an array, X-* prefixes', () => {
    const h = head([
      'Received: from a by b',
      'subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_aus_K=F6ln?=',
      'Message-ID: <m1@example.com>',
      'X-Campaign-Id: 42',
      'X-Tag: one',
      'X-Tag: two,',
      '  folded',
      'To: someone',
    ]);
    assert.deepEqual(captureHeaders(h, ['Subject', 'message-id', 'X-*']), {
      subject: 'Grüße aus Köln',
      'Message-ID': '<m1@example.com>',
      'X-Campaign-Id': '42',
      'X-Tag': ['one', 'two, folded'],
    });
  });

  test('nothing listed or nothing found: no headers; the body is never read', () => {
    const h = Buffer.from('Subject: s\r\n\r\nX-Not-A-Header: body\r\n');
    assert.equal(captureHeaders(h, []), undefined);
    assert.equal(captureHeaders(h, ['X-*']), undefined);
    assert.deepEqual(captureHeaders(h, ['Subject']), { Subject: 's' });
  });

  test('raw 8-bit UTF-8 values and an unknown charset are kept, not lost', () => {
    const h = Buffer.concat([Buffer.from('Subject: '), Buffer.from('Grüße', 'utf8'), Buffer.from('\r\nX-A: =?x-unknown?Q?abc?=\r\n\r\n')]);
    assert.deepEqual(captureHeaders(h, ['Subject', 'X-A']), { Subject: 'Grüße', 'X-A': '=?x-unknown?Q?abc?=' });
  });
});
