// A message that is only a header block (no blank line, no body), signed at reception: the
// DKIM signer gets the whole header as it is, and the signature verifies on what is spooled.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { ed25519TestKey } from '../dkim/helpers.js';
import { BASE_MAIN, Harness, SmtpClient } from './helpers.js';

describe('a headers-only message through reception with DKIM signing', () => {
  const key = ed25519TestKey();
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}\n[listener.in]\nlisten = "127.0.0.16:0"\nstarttls = false\n`,
      'keys/ed.pem': key.pem,
      'dkim.toml': `[domain."example.com"]\nselector = "ed1"\nalgo = "ed25519"\nfilename = "keys/ed.pem"\n`,
    });
  });
  after(() => h?.close());

  test('accepted, spooled with its header intact, and the signature verifies', async () => {
    const c = await SmtpClient.connect(h.port('in'), { host: '127.0.0.16' });
    await c.hello();
    const r = await c.send('a@example.com', ['postmaster@localhost'], 'From: <a@example.com>\r\nTo: <postmaster@localhost>\r\nSubject: only a header\r\n');
    assert.equal(r.final?.code, 250, r.final?.text);
    await c.quit();
    const spooled = (await h.spool.getBody(h.enqueued.at(-1)!.id))!;
    const text = spooled.toString('latin1');
    assert.match(text, /^DKIM-Signature: /m);
    assert.ok(text.endsWith('From: <a@example.com>\r\nTo: <postmaster@localhost>\r\nSubject: only a header\r\n'), JSON.stringify(text.slice(-120)));
    // mailauth only finds the header block when a blank line ends it; an empty body hashes the
    // same as no body (RFC 6376 3.4.3/3.4.4), so the blank line changes nothing the signature covers
    const res = await verifyDkim(Buffer.concat([spooled, Buffer.from('\r\n')]), new StaticResolver({ 'ed1._domainkey.example.com': { txt: [key.txt] } }));
    assert.deepEqual(res.map((x) => [x.domain, x.selector, x.result]), [['example.com', 'ed1', 'pass']]);
  });
});
