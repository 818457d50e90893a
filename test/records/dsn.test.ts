// Delivery and feedback reports in the shapes real MTAs send (fixtures/SOURCES.md says what each is),
// read the way KumoMTA's kumo-log-types reads them, plus the quirks KumoMTA's parser trips on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { oobResponse, parseReport, reportAddress } from '../../src/smtp/reports.js';
import type { DeliveryStatusReport, FeedbackReport } from '../../src/smtp/reports.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

// the fixtures stay in the source tree, not in dist/
const FIXTURES = join(PACKAGE_ROOT, 'test', 'records', 'fixtures', 'dsn');
const load = (name: string) => readFileSync(join(FIXTURES, name));

function dsn(name: string): DeliveryStatusReport {
  const r = parseReport(load(name));
  assert.equal(r?.kind, 'delivery-status', `${name} is read as a delivery status report`);
  return r as DeliveryStatusReport;
}

describe('DSN parsing', () => {
  test('addresses: angle brackets, comments, quotes, type prefixes', () => {
    assert.equal(reportAddress('rfc822; <user@example.com>'), 'user@example.com');
    assert.equal(reportAddress('rfc822;<redacted@example.com>'), 'redacted@example.com');
    assert.equal(reportAddress('RFC822; User@Example.COM (Display)'), 'User@Example.COM');
    assert.equal(reportAddress('rfc822;user@example.com'), 'user@example.com');
    assert.equal(reportAddress('<somespammer@example.net>'), 'somespammer@example.net');
    assert.equal(reportAddress('unknown; nair_s'), 'nair_s');
  });

  test('Outlook report with rfc822;<address> and the reply code after "host ... says:"', () => {
    const r = dsn('outlook-angle-brackets.eml');
    assert.equal(r.reportingMta, 'mta7.example.net');
    assert.equal(r.recipients.length, 1);
    const rc = r.recipients[0]!;
    assert.equal(rc.recipient, 'someone@example.org');
    assert.equal(rc.finalRecipient, 'someone@example.org');
    assert.equal(rc.action, 'failed');
    assert.equal(rc.status, '5.0.0');
    assert.equal(rc.remoteMta, 'example-org.mail.protection.outlook.com:25');
    // KumoMTA's own reading gives 550 and the whole text; the code is found where it is
    assert.deepEqual(oobResponse(rc), {
      code: 550,
      content: '5.4.1 Recipient address rejected: Access denied. AS(201806281) [tenant lookup refused, ref MTA7-0602-A]',
    });
  });

  test('Microsoft Exchange Online NDR: nested alternative parts, folded Diagnostic-Code, original message with our trace header', () => {
    const r = dsn('microsoft-exchange-online.eml');
    assert.equal(r.reportingMta, 'BN8PR00MB5678.namprd00.prod.outlook.com');
    assert.equal(r.originalId, '0194f1a2b3c4d5e6f7a8b9c0d1e2f301');
    const [rc] = r.recipients;
    assert.equal(rc?.recipient, 'nobody@contoso.com');
    assert.equal(rc?.status, '5.1.10');
    assert.equal(rc?.diagnosticType, 'smtp');
    assert.deepEqual(oobResponse(rc!), { code: 550, content: '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' });
  });

  test('Gmail DSN: the report nested in multipart/related + alternative, a failed and a delayed recipient', () => {
    const r = dsn('gmail.eml');
    assert.equal(r.reportingMta, 'googlemail.com');
    assert.equal(r.originalId, '0194f1a2b3c4d5e6f7a8b9c0d1e2f302');
    assert.deepEqual(r.recipients.map((x) => [x.recipient, x.action, x.status]), [
      ['nosuchuser@example.com', 'failed', '5.1.1'],
      ['slowpoke@example.org', 'delayed', '4.4.1'],
    ]);
    const failed = r.recipients[0]!;
    assert.equal(failed.lastAttempt, Date.parse('2025-03-03T10:03:05Z'), 'Last-Attempt-Date with its (PST) comment');
    assert.equal(failed.remoteMta, 'mx.example.com. (203.0.113.5, the server for the domain example.com.)');
    assert.deepEqual(oobResponse(failed), { code: 550, content: '5.1.1 <nosuchuser@example.com>: Recipient address rejected: User unknown in virtual mailbox table' });
  });

  test('Yahoo "Failure Notice" (qmail-style plain text): every listed recipient failed, with the remote reply', () => {
    const r = dsn('yahoo-failure-notice.eml');
    assert.equal(r.reportingMta, 'yahoo.com');
    assert.deepEqual(r.recipients.map((x) => [x.recipient, x.action, x.status]), [
      ['gone.user@yahoo.com', 'failed', '5.0.0'],
      ['full.box@yahoo.com', 'failed', '5.2.2'],
    ]);
    assert.deepEqual(oobResponse(r.recipients[0]!), { code: 554, content: "delivery error: dd This user doesn't have a yahoo.com account (gone.user@yahoo.com) [0] - mta1034.mail.gq1.yahoo.com" });
    assert.deepEqual(oobResponse(r.recipients[1]!), { code: 552, content: '5.2.2 Mailbox full [RCPT_TO]' });
  });

  test('RFC 3464 example: Original-Recipient preferred, statuses with comments, multi-line diagnostics', () => {
    const r = dsn('rfc3464-multiple-recipients.eml');
    assert.deepEqual(r.recipients.map((x) => [x.recipient, x.action, x.status]), [
      ['arathib@vnet.ibm.com', 'failed', '5.0.0'],
      ['johnh@hpnjld.njd.hp.com', 'delayed', '4.0.0'],
      ['wsnell@sdcc13.ucsd.edu', 'failed', '5.0.0'],
    ]);
    assert.deepEqual(oobResponse(r.recipients[0]!), { code: 550, content: "'arathib@vnet.IBM.COM' is not a registered gateway user" });
    assert.deepEqual(oobResponse(r.recipients[1]!), { code: 550, content: '' }, 'no diagnostic: KumoMTA logs 550 and no text');
  });

  test('Postfix report: Original-Recipient without a space, X-Postfix fields ignored', () => {
    const r = dsn('postfix-over-quota.eml');
    assert.equal(r.reportingMta, 'mx1.example.net');
    assert.deepEqual(r.recipients.map((x) => [x.recipient, x.status]), [['recipient@example.com', '5.2.2']]);
    assert.deepEqual(oobResponse(r.recipients[0]!), { code: 552, content: '5.2.2 <recipient@example.com>: mailbox over quota' });
  });

  test('ARF report (RFC 5965 example): every field in KumoMTA\'s feedback_report shape', () => {
    const r = parseReport(load('rfc5965-arf.eml')) as FeedbackReport;
    assert.equal(r?.kind, 'feedback-report');
    const { original_message, ...rest } = r.arf;
    assert.deepEqual(rest, {
      feedback_type: 'abuse',
      user_agent: 'SomeGenerator/1.0',
      version: '1',
      arrival_date: '2005-03-08T18:00:00Z',
      incidents: null,
      original_envelope_id: null,
      original_mail_from: 'somespammer@example.net',
      reporting_mta: { mta_type: 'dns', name: 'mail.example.com' },
      source_ip: '192.0.2.1',
      authentication_results: ['mail.example.com; spf=fail smtp.mail=somespammer@example.com'],
      original_rcpto_to: ['user@example.com'],
      reported_domain: ['example.net'],
      reported_uri: ['http://example.net/earn_money.html', 'mailto:user@example.com'],
      extensions: { 'removal-recipient': ['user@example.com'] },
      supplemental_trace: { recipient: 'test@example.com' },
    });
    assert.match(original_message ?? '', /^From: <somespammer@example.net>\nReceived: from mailserver/);
    assert.doesNotMatch(original_message ?? '', /\r/);
  });

  test('not a report: a plain message, a multipart/report without a boundary', () => {
    assert.equal(parseReport(Buffer.from('From: a@b\r\nSubject: hi\r\n\r\nhello\r\n')), undefined);
    assert.equal(parseReport(Buffer.from('Content-Type: multipart/report; report-type=delivery-status\r\n\r\nx\r\n')), undefined);
  });
});
