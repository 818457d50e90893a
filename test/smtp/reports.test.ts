import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arfReport, dsnReport } from '../helpers/report-messages.js';
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
log_oob = "LogThenDrop"

["fbl.test"]
log_arf = "LogThenDrop"
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

  test('an RFC 3464 bounce for one of our messages becomes an OOB record about it (KumoMTA: id of the report, original id in meta)', async () => {
    const orig = await send('news@example.org', 'gone@remote.test', message({ to: 'gone@remote.test' }));
    const origId = /id=(\w+)/.exec(orig.final!.text)![1]!;
    const origHeaders = (await h.spool.getBody(origId))!.toString().split('\r\n\r\n')[0]!;
    const dsn = dsnReport({
      to: 'bounce-1@bounce.test',
      recipients: [['Final-Recipient: rfc822; gone@remote.test', 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 no such user']],
      originalHeaders: [origHeaders],
    });
    const r = await send('', 'bounce-1@bounce.test', dsn);
    assert.equal(r.final?.code, 250);
    const reportId = /id=(\w+)/.exec(r.final!.text)![1]!;
    const oob = (await h.records_('OOB')).at(-1);
    assert.ok(oob, 'OOB record');
    assert.equal(oob.id, reportId);
    assert.equal(oob.meta.original_id, origId);
    assert.equal(oob.sender, 'bounce-1@bounce.test', 'the report is addressed to the original sender');
    assert.equal(oob.recipient, 'gone@remote.test');
    assert.equal(oob.response.code, 550);
    assert.deepEqual(oob.response.enhanced_code, { class: 5, subject: 1, detail: 1 });
    assert.match(oob.response.content, /no such user/);
    assert.equal(oob.peer_address?.name, 'mx.remote.test', 'the reporting MTA');
  });

  test('an ARF report becomes a Feedback record instead of the Reception record', async () => {
    const arf = arfReport({ fields: ['Original-Rcpt-To: user@isp.test'] });
    const r = await send('fbl@isp.test', 'fbl@fbl.test', arf);
    assert.equal(r.final?.code, 250);
    const id = /id=(\w+)/.exec(r.final!.text)![1]!;
    const fb = (await h.records_('Feedback')).at(-1);
    assert.equal(fb?.id, id);
    assert.equal(fb?.recipient, 'fbl@fbl.test');
    assert.equal(fb?.feedback_report?.feedback_type, 'abuse');
    assert.deepEqual(fb?.feedback_report?.original_rcpto_to, ['user@isp.test']);
    assert.equal((await h.records_('Reception')).filter((x) => x.id === id).length, 0, 'no Reception record for it');
  });
});
