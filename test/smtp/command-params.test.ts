// MAIL FROM / RCPT TO parameters (RFC 5321 §4.1.1.11): one the server does not know gets 555
// 5.5.4 and the command is not carried out; those of the advertised extensions, AUTH=, and DSN's
// (not advertised; accepted and ignored) are fine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, message } from './helpers.js';

describe('MAIL and RCPT parameters', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ 'kumo.toml': `${BASE_MAIN}\n[listener.main]\nlisten = "127.0.0.1:${await freePort()}"\nstarttls = false\n` });
  });
  after(() => h.close());

  test('an unknown parameter gets 555 5.5.4 naming it; known ones are accepted and the mail goes through', async () => {
    const c = await SmtpClient.connect(h.port('main'));
    await c.hello();
    const m = await c.cmd('MAIL FROM:<a@example.org> FOO=bar');
    assert.equal(m.code, 555, m.text);
    assert.equal(m.text, '5.5.4 unsupported MAIL FROM parameter FOO');
    // the refused MAIL started no transaction
    assert.equal((await c.cmd('RCPT TO:<postmaster@localhost>')).code, 503);
    assert.equal((await c.cmd('MAIL FROM:<a@example.org> SIZE=2000 BODY=8BITMIME RET=HDRS ENVID=abc')).code, 250);
    const r = await c.cmd('RCPT TO:<postmaster@localhost> X-PRIORITY=1');
    assert.equal(r.code, 555, r.text);
    assert.equal(r.text, '5.5.4 unsupported RCPT TO parameter X-PRIORITY');
    assert.equal((await c.cmd('RCPT TO:<postmaster@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@example.net')).code, 250);
    const before = h.enqueued.length;
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(message() + '.\r\n');
    assert.equal((await c.reply()).code, 250);
    assert.equal(h.enqueued.length, before + 1);
    assert.deepEqual(h.enqueued.at(-1)?.recipients.map((x) => x.address), ['postmaster@localhost'], 'only the accepted RCPT');
    await c.quit();
  });
});
