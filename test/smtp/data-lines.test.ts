// bare_newline and long_lines through a real listener: what is spooled has CRLF line ends
// only and no line over 998 octets ("Normalize" / "Wrap"), or the message is refused with
// 550 5.6.0 and nothing is spooled ("Reject").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort } from './helpers.js';

/** MAIL, RCPT, DATA, then `raw` exactly as given (plus the final dot); the final reply. */
async function sendRaw(port: number, raw: string) {
  const c = await SmtpClient.connect(port);
  try {
    await c.hello();
    assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<b@example.net>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(Buffer.from(raw + '\r\n.\r\n', 'latin1'));
    return await c.reply();
  } finally {
    await c.quit();
  }
}

const HEAD = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: lines\r\n';

describe('DATA line endings and line length', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.lenient]
listen = "127.0.0.1:${await freePort()}"
starttls = false
trace_headers = { received_header = false, supplemental_header = false }

[listener.strict]
listen = "127.0.0.1:${await freePort()}"
starttls = false
bare_newline = "Reject"
long_lines = "Reject"
`,
    });
  });
  after(() => h.close());

  async function spooled(reply: { code: number; text: string }): Promise<string> {
    assert.equal(reply.code, 250, reply.text);
    const id = /id=(\S+)/.exec(reply.text)![1]!;
    return (await h.spool.getBody(id))!.toString('latin1');
  }

  test('"Normalize": bare CR and bare LF are spooled as CRLF', async () => {
    const reply = await sendRaw(h.port('lenient'), `${HEAD}X-Bare: one\r two\n\r\nline one\rline two\nline three\r\nend`);
    const body = await spooled(reply);
    assert.equal(body, `${HEAD}X-Bare: one\r\n two\r\n\r\nline one\r\nline two\r\nline three\r\nend\r\n`);
    // and its spool record says so: delivery's dot-stuffing then only doubles leading dots
    const meta = await h.spool.getMeta(/id=(\S+)/.exec(reply.text)![1]!);
    assert.equal(meta?.extra?.crlf, true);
  });

  test('"Wrap": long body lines are broken, long header lines folded; nothing over 998 octets is spooled', async () => {
    const subject = Array.from({ length: 250 }, (_, i) => `w${i}`).join(' ');
    const body = await spooled(await sendRaw(h.port('lenient'), `${HEAD}X-Long: ${subject}\r\n\r\n${'b'.repeat(3000)}\r\nend`));
    for (const line of body.split('\r\n')) assert.ok(line.length <= 998, `a spooled line of ${line.length} octets`);
    const [head, text] = [body.slice(0, body.indexOf('\r\n\r\n') + 2), body.slice(body.indexOf('\r\n\r\n') + 4)];
    assert.equal(head.replace(/\r\n(?=[ \t])/g, ''), `${HEAD}X-Long: ${subject}\r\n`, 'the folded field unfolds to the original');
    assert.equal(text.replace(/\r\n/g, ''), `${'b'.repeat(3000)}end`);
  });

  test('"Reject": a bare LF or bare CR gets 550 5.6.0 and nothing is spooled', async () => {
    const before = await h.spool.count();
    for (const raw of [`${HEAD}\r\nbare\nLF`, `${HEAD}\r\nbare\rCR`, `${HEAD}X-A: b\n\r\nbody`]) {
      const r = await sendRaw(h.port('strict'), raw);
      assert.equal(r.code, 550, r.text);
      assert.match(r.text, /^5\.6\.0 /);
    }
    assert.equal(await h.spool.count(), before);
    const rec = (await h.records_('Rejection')).filter((x) => x.response.code === 550);
    assert.ok(rec.length >= 3 && rec.every((x) => x.response.command === 'DATA'));
  });

  test('"Reject": a line over 998 octets gets 550 5.6.0; CRLF text with 998-octet lines is accepted', async () => {
    const before = await h.spool.count();
    const r = await sendRaw(h.port('strict'), `${HEAD}\r\n${'x'.repeat(999)}`);
    assert.equal(r.code, 550, r.text);
    assert.match(r.text, /^5\.6\.0 .*998/);
    const r2 = await sendRaw(h.port('strict'), `${HEAD}X-H: ${'h'.repeat(993)}\r\n\r\n${'x'.repeat(998)}`);
    assert.equal(r2.code, 250, r2.text);
    assert.equal(await h.spool.count(), before + 1);
  });
});
