import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, message } from './helpers.js';

/**
 * Counts the writes the listener's side of one connection hands to the kernel (one per
 * _writeGeneric call: a single write or a whole writev). Node's own socket, observed, not
 * replaced: every write still goes out.
 */
function countServerWrites(clientPort: () => number | undefined): { count: () => number; stop: () => void } {
  const proto = Socket.prototype as unknown as { _writeGeneric: (...a: unknown[]) => unknown };
  const original = proto._writeGeneric;
  assert.equal(typeof original, 'function', 'net.Socket#_writeGeneric is where Node writes to the kernel');
  let n = 0;
  proto._writeGeneric = function (this: Socket, ...a: unknown[]) {
    if (this.remotePort !== undefined && this.remotePort === clientPort()) n++;
    return original.apply(this, a);
  };
  return { count: () => n, stop: () => void (proto._writeGeneric = original) };
}

describe('pipelined commands: their replies leave in one write', () => {
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
tls = { certificate = "cert.pem", private_key = "key.pem" }
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
    });
  });
  after(() => h.close());

  test('MAIL, two RCPT and DATA in one segment get 250, 250, 250, 354 in one write; a lone command is answered at once', async () => {
    const c = await SmtpClient.connect(h.port('main'));
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    const w = countServerWrites(() => c.socket.localPort);
    try {
      c.write('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n');
      const codes = [(await c.reply()).code, (await c.reply()).code, (await c.reply()).code, (await c.reply()).code];
      assert.deepEqual(codes, [250, 250, 250, 354]);
      assert.equal(w.count(), 1, 'four replies, one write');
      c.write(message() + '.\r\n');
      assert.equal((await c.reply()).code, 250);
      // not pipelined: nothing is held back waiting for more input
      const before = w.count();
      assert.equal((await c.cmd('NOOP')).code, 250);
      assert.equal(w.count(), before + 1);
      await c.quit();
    } finally {
      w.stop();
    }
    assert.equal(h.enqueued.length, 1);
    assert.deepEqual(h.enqueued[0]!.recipients.map((r) => r.address), ['b@example.net', 'c@example.net']);
  });

  test('NOOP pipelined with STARTTLS: 250 and 220 in one write, then the handshake and a session over TLS', async () => {
    const c = await SmtpClient.connect(h.port('tls'));
    await c.hello();
    const w = countServerWrites(() => c.socket.localPort);
    try {
      c.write('NOOP\r\nSTARTTLS\r\n');
      assert.deepEqual([(await c.reply()).code, (await c.reply()).code], [250, 220]);
      assert.equal(w.count(), 1, 'the two replies, one write');
    } finally {
      w.stop();
    }
    // the reply was read above: go straight to the handshake (SmtpClient.starttls sends the command itself)
    const caps = await c.tlsAfterReply('mx.test');
    assert.ok(caps.includes('PIPELINING'), caps.join(','));
    c.write('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n');
    assert.deepEqual([(await c.reply()).code, (await c.reply()).code, (await c.reply()).code], [250, 250, 354]);
    c.write(message() + '.\r\n');
    assert.equal((await c.reply()).code, 250);
    await c.quit();
  });
});
