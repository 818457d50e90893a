// Reports that are almost what reception looks for: a multipart/report of another kind, an
// SMTP diagnostic without a reply code, an original whose headers carry no usable trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arfReport, dsnReport } from '../helpers/report-messages.js';
import { oobResponse, parseReport } from '../../src/smtp/reports.js';
import type { DeliveryStatusReport, FeedbackReport } from '../../src/smtp/reports.js';
import { supplementalHeader } from '../../src/smtp/trace-headers.js';

test('a multipart/report with neither a delivery-status nor a feedback-report part is not a report', () => {
  const msg = [
    'From: x@remote.test',
    'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'read receipt',
    '--B',
    'Content-Type: message/disposition-notification',
    '',
    'Disposition: manual-action/MDN-sent-manually; displayed',
    '--B--',
    '',
  ].join('\r\n');
  assert.equal(parseReport(Buffer.from(msg)), undefined);
});

test('an SMTP diagnostic without a reply code: 550 with the whole diagnostic as content', () => {
  const r = parseReport(Buffer.from(dsnReport({
    to: 'bounces@example.org',
    recipients: [['Final-Recipient: rfc822; gone@remote.test', 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; mailbox unknown']],
    originalHeaders: ['From: a@example.org', 'Subject: hi'],
  }))) as DeliveryStatusReport;
  assert.equal(r.kind, 'delivery-status');
  assert.deepEqual(oobResponse(r.recipients[0]!), { code: 550, content: 'mailbox unknown' });
});

test('a trace header that is not base64 JSON is ignored: no original id, no supplemental trace', () => {
  const dsn = parseReport(Buffer.from(dsnReport({
    to: 'bounces@example.org',
    recipients: [['Final-Recipient: rfc822; gone@remote.test', 'Action: failed', 'Status: 5.1.1']],
    originalHeaders: ['From: a@example.org', 'X-KumoRef: %%% not base64 json %%%'],
  }))) as DeliveryStatusReport;
  assert.equal(dsn.originalId, undefined);

  const arf = parseReport(Buffer.from(arfReport({
    fields: ['Original-Rcpt-To: <user@isp.test>'],
    original: ['From: a@example.org', 'X-Mailer: not-a-trace', 'X-KumoRef: !!!', 'Subject: hi', '', 'body'],
  }))) as FeedbackReport;
  assert.equal(arf.kind, 'feedback-report');
  assert.equal(arf.originalId, undefined);
  assert.equal(arf.arf.supplemental_trace, null);
  assert.match(arf.arf.original_message!, /X-Mailer: not-a-trace/);
});

test('a real trace header next to a garbled one is still found', () => {
  const ours = supplementalHeader('X-KumoRef', 'abc123').trim();
  const arf = parseReport(Buffer.from(arfReport({
    fields: [],
    original: ['From: a@example.org', 'X-Junk: ???', ours, '', 'body'],
  }))) as FeedbackReport;
  assert.equal(arf.originalId, 'abc123');
  assert.deepEqual(arf.arf.supplemental_trace, { id: 'abc123' });
});
