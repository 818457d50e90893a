import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, message, waitFor } from './helpers.js';

/**
 * A client that half-closes (shuts down its sending side: `printf ... | nc -N`, or a script
 * that ends its socket after the final dot) is still owed every reply: above all the 250 for a
 * message we spooled, or it retries and the message goes out twice.
 */
describe('a client that half-closes still gets its replies', () => {
  let h: Harness;
  before(async () => {
    const c = await makeCert('mx.test');
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.main]
listen = "127.0.0.1:${await freePort()}"
starttls = false

[listener.tls]
listen = "127.0.0.1:${await freePort()}"
tls = { certificate = "cert.pem", private_key = "key.pem", implicit = true }

[listener.proxied]
listen = "127.0.0.1:${await freePort()}"
starttls = false
proxy_protocol_from = ["127.0.0.0/8"]
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
    });
  });
  after(() => h.close());

  async function upToData(c: SmtpClient, to: string): Promise<void> {
    await c.hello();
    assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${to}>`)).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
  }

  for (const tls of [false, true]) {
    test(`${tls ? 'implicit TLS' : 'plain'}: FIN right after the final dot → the 250 arrives, then the server closes`, async () => {
      const before = h.enqueued.length;
      const c = await SmtpClient.connect(h.port(tls ? 'tls' : 'main'), { tls });
      await upToData(c, `half-${tls}@example.net`);
      c.write(message({ subject: 'half-closed' }) + '.\r\n');
      c.socket.end(); // our side is done; we still read
      const r = await c.reply();
      assert.equal(r.code, 250, `${r.code} ${r.text}`);
      assert.match(r.text, /queued|OK/i);
      await assert.rejects(c.reply(5000), /connection closed/, 'the server closes once it has answered');
      assert.equal(h.enqueued.length, before + 1, 'spooled once');
    });
  }

  test('the whole transaction pipelined with QUIT, then FIN: every reply arrives, 221 last', async () => {
    const c = await SmtpClient.connect(h.port('main'));
    const body = message({ subject: 'pipelined then FIN' }).replace(/\r?\n/g, '\r\n');
    c.write(`EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<p@example.net>\r\nDATA\r\n`);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await c.reply()).code);
    c.write(`${body}.\r\nQUIT\r\n`);
    c.socket.end();
    codes.push((await c.reply()).code, (await c.reply()).code);
    assert.deepEqual(codes, [220, 250, 250, 250, 354, 250, 221]);
    await assert.rejects(c.reply(5000), /connection closed/);
  });

  test('FIN in the middle of a message: nothing is spooled and the connection does not linger', async () => {
    const before = h.enqueued.length;
    const l = h.service.listener('main')!;
    const open = l.connectionCount;
    const c = await SmtpClient.connect(h.port('main'));
    await upToData(c, 'cut@example.net');
    c.write('Subject: cut short\r\n\r\nno final dot\r\n');
    c.socket.end();
    await assert.rejects(c.reply(5000), /connection closed/);
    await waitFor(() => l.connectionCount === open || undefined);
    assert.equal(h.enqueued.length, before, 'a message without its final dot is not accepted');
  });

  test('FIN between commands: the last command is answered and the connection closes', async () => {
    const c = await SmtpClient.connect(h.port('main'));
    await c.hello();
    c.write('MAIL FROM:<a@example.org>\r\n');
    c.socket.end();
    assert.equal((await c.reply()).code, 250);
    await assert.rejects(c.reply(5000), /connection closed/);
  });

  // before the session starts: the listener's own reads of the PROXY header and the TLS
  // handshake see the FIN too (with half-open sockets nothing closes them by itself; the
  // client timeout, 60 s here, would)
  for (const [what, listener, bytes] of [['a partial PROXY header', 'proxied', 'PROXY TCP4 192.0'], ['a TLS handshake not begun', 'tls', '']] as const) {
    test(`FIN during ${what}: the server closes at once`, async () => {
      const sock = connect(h.port(listener), '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.on('error', () => undefined);
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.end(bytes);
      await waitFor(() => sock.closed || undefined, 5000);
      await closed;
    });
  }
});
