import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, message } from './helpers.js';

describe('log_oob / log_arf reports', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.smtp]
listen = "127.0.0.1:${await freePort()}"
`,
      'listener_domains.toml': `
["bounce.test"]
log_oob = true

["fbl.test"]
log_arf = true
`,
    });
  });
  after(() => h.close());

  async function send(from: string, to: string, msg: string) {
    const c = await SmtpClient.connect(h.port('smtp'));
    await c.hello();
    const r = await c.send(from, [to], msg);
    await c.quit();
    return r;
  }

  test('an RFC 3464 bounce for one of our messages becomes an OOB record about it', async () => {
    const orig = await send('news@example.org', 'gone@remote.test', message({ to: 'gone@remote.test' }));
    const origId = /id=(\w+)/.exec(orig.final!.text)![1]!;
    const origHeaders = (await h.spool.getBody(origId))!.toString().split('\r\n\r\n')[0]!;
    const dsn = [
      'From: MAILER-DAEMON@remote.test',
      'To: bounce-1@bounce.test',
      'Subject: Undelivered Mail',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="BND"',
      '',
      '--BND',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--BND',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.remote.test',
      '',
      'Final-Recipient: rfc822; gone@remote.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 no such user',
      '',
      '--BND',
      'Content-Type: text/rfc822-headers',
      '',
      origHeaders,
      '--BND--',
      '',
    ].join('\r\n');
    const r = await send('', 'bounce-1@bounce.test', dsn);
    assert.equal(r.final?.code, 250);
    const oob = (await h.records_('OOB')).at(-1);
    assert.ok(oob, 'OOB record');
    assert.equal(oob.id, origId);
    assert.equal(oob.recipient, 'gone@remote.test');
    assert.equal(oob.response.code, 550);
    assert.deepEqual(oob.response.enhanced_code, { class: 5, subject: 1, detail: 1 });
    assert.match(oob.response.content, /no such user/);
  });

  test('an ARF report becomes a Feedback record', async () => {
    const arf = [
      'From: fbl@isp.test',
      'To: fbl@fbl.test',
      'Subject: complaint',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="B2"',
      '',
      '--B2',
      'Content-Type: text/plain',
      '',
      'This is an abuse report.',
      '--B2',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: isp-fbl/1.0',
      'Version: 1',
      'Original-Rcpt-To: user@isp.test',
      '',
      '--B2--',
      '',
    ].join('\r\n');
    const r = await send('fbl@isp.test', 'fbl@fbl.test', arf);
    assert.equal(r.final?.code, 250);
    const fb = (await h.records_('Feedback')).at(-1);
    assert.equal(fb?.response.content, 'abuse');
    assert.equal(fb?.recipient, 'user@isp.test');
  });
});
