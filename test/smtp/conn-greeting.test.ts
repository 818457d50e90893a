import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, message, waitFor } from './helpers.js';

describe('greeting: no pause by default, early_talker_delay on request', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.fast]
listen = "127.0.0.1:${await freePort()}"
starttls = false

[listener.screened]
listen = "127.0.0.1:${await freePort()}"
starttls = false
early_talker_delay = "1s"
`,
    });
  });
  after(() => h.close());

  test('default: a client that pipelines EHLO with the connect is greeted and served, not refused', async () => {
    // smtp-server's own behaviour: a 100 ms pause, and 421 "You talk too soon" to this client
    for (let i = 0; i < 3; i++) {
      const c = await SmtpClient.connect(h.port('fast'), { preamble: Buffer.from('EHLO eager.test\r\nMAIL FROM:<a@example.org>\r\n') });
      const g = await c.reply();
      assert.equal(g.code, 220, `${g.code} ${g.text}`);
      const e = await c.reply();
      assert.equal(e.code, 250, `${e.code} ${e.text}`);
      assert.equal((await c.reply()).code, 250, 'the pipelined MAIL FROM');
      assert.equal((await c.cmd('RCPT TO:<b@example.net>')).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      c.write(message() + '.\r\n');
      assert.equal((await c.reply()).code, 250);
      await c.quit();
    }
    const rejections = await h.records_('Rejection');
    assert.equal(rejections.filter((r) => r.meta?.listener === 'fast').length, 0, JSON.stringify(rejections));
  });

  test('early_talker_delay: a client talking before the 220 gets 554 5.5.1 and a Rejection record, then is disconnected', async () => {
    const c = await SmtpClient.connect(h.port('screened'), { preamble: Buffer.from('EHLO spammer.test\r\n') });
    const r = await c.reply();
    assert.equal(r.code, 554, `${r.code} ${r.text}`);
    assert.match(r.text, /^5\.5\.1 /);
    await assert.rejects(c.reply(5000), /connection closed/);
    const rec = await waitFor(async () => (await h.records_('Rejection')).find((x) => x.response.code === 554 && x.meta?.listener === 'screened'));
    assert.equal(rec!.response.enhanced_code?.subject, 5);
    assert.equal(h.logged(/talked before the greeting/).length, 1);
  });

  test('early_talker_delay: even a partial line before the 220 counts as talking early', async () => {
    const c = await SmtpClient.connect(h.port('screened'), { preamble: Buffer.from('EH'), localAddress: '127.0.0.2' });
    const r = await c.reply();
    assert.equal(r.code, 554);
    c.close();
  });

  test('early_talker_delay: a patient client gets the 220 after the pause and is served', async () => {
    const c = await SmtpClient.connect(h.port('screened'), { localAddress: '127.0.0.3' });
    const g = await c.reply();
    assert.equal(g.code, 220, `${g.code} ${g.text}`);
    await c.hello('patient.test', false);
    const r = await c.send('a@example.org', ['b@example.net'], message());
    assert.equal(r.final?.code, 250, JSON.stringify(r));
    await c.quit();
  });
});
