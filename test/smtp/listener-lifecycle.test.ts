// A listener's life beyond the happy path, in-process on real config files: implicit TLS with
// a client that does not speak TLS, a certificate reload that cannot be loaded, a shutdown
// that meets a client stalled in DATA, a generated certificate that cannot be written (the
// listener is retried until it can), and a queue intake that fails after the spool write.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { receiveBatch } from '../../src/smtp/reception-batch.js';
import type { IncomingMessage } from '../../src/smtp/reception.js';
import { BASE_MAIN, Harness, SmtpClient, makeCert, message, waitFor } from './helpers.js';
import type { TestCert } from './helpers.js';

/** Resolves when the socket is closed by the other side (or errors). */
function closedBy(port: number, host: string, send: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => s.write(send));
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });
}

describe('listener TLS edges', () => {
  let h: Harness;
  let certA: TestCert;
  let certB: TestCert;
  const main = (startTls: string) => `${BASE_MAIN}
[listener.smtps]
listen = "127.0.0.5:0"
tls = { certificate = "a.pem", private_key = "a.key", implicit = true }

[listener.sub]
listen = "127.0.0.6:0"
${startTls}
`;
  before(async () => {
    [certA, certB] = [await makeCert('mx.test'), await makeCert('mx.test')];
    h = await Harness.start({
      'kumo.toml': main('tls = { certificate = "a.pem", private_key = "a.key" }'),
      'a.pem': certA.cert,
      'a.key': certA.key,
      'b.pem': certB.cert,
    });
  });
  after(() => h?.close());

  test('implicit TLS: a client speaking plain SMTP is dropped without a reply; TLS clients are served', async () => {
    const port = h.port('smtps');
    const got = await closedBy(port, '127.0.0.5', 'EHLO plain.test\r\n');
    assert.equal(got, '', 'no SMTP reply in clear text');
    await waitFor(() => h.logged(/listener smtps: TLS handshake failed/).length > 0, 10_000);
    const c = await SmtpClient.connect(port, { host: '127.0.0.5', tls: true, servername: 'mx.test' });
    assert.equal((await c.reply()).code, 220);
    assert.equal(c.peerFingerprint(), certA.fingerprint256);
    await c.quit();
  });

  test('a reloaded certificate that cannot be loaded: logged, the current one keeps serving', async () => {
    // b.pem with a.key: the config check only warns (a key file may be replaced a moment later)
    await h.update({ 'kumo.toml': main('tls = { certificate = "b.pem", private_key = "a.key" }') });
    assert.ok(h.logged(/listener sub: new TLS certificate cannot be loaded; the current one keeps serving/).length, h.logLines.slice(-5).join('\n'));
    const c = await SmtpClient.connect(h.port('sub'), { host: '127.0.0.6' });
    await c.hello();
    await c.starttls('mx.test');
    assert.equal(c.peerFingerprint(), certA.fingerprint256, 'still the old certificate');
    assert.equal((await c.send('a@example.org', ['postmaster@localhost'], message())).final?.code, 250);
    await c.quit();
    assert.ok(h.service.listener('sub')?.certificates, 'the listener keeps its certificate store');
  });
});

test('shutdown: a client stalled in the middle of DATA is cut off at the deadline, nothing of it is spooled', async () => {
  const h = await Harness.start({ 'kumo.toml': `${BASE_MAIN}\n[listener.in]\nlisten = "127.0.0.7:0"\n` });
  try {
    const c = await SmtpClient.connect(h.port('in'), { host: '127.0.0.7' });
    await c.hello();
    assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<postmaster@localhost>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: half\r\n\r\nthe first half of the body, then silence\r\n');
    const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
    await h.service.stop(Date.now() + 300);
    await closed;
    assert.equal(await h.spool.count(), 0);
    assert.deepEqual(h.service.names, [], 'no listener left');
  } finally {
    await h.close();
  }
});

test('a generated certificate that cannot be written: logged, the listener is retried and starts once it can', async () => {
  const keep = '[listener.keep]\nlisten = "127.0.0.10:0"\nstarttls = false\n';
  const cfg = (root: string) => `${BASE_MAIN}\n[spool]\npath = "${join(root, 'data', 'spool')}"\n\n${keep}\n[listener.gen]\nlisten = "127.0.0.8:0"\nhostname = "gen.test"\n`;
  // the root is only known once the harness made it: start without the listener, then add it
  const h = await Harness.start({ 'kumo.toml': `${BASE_MAIN}\n${keep}` });
  try {
    mkdirSync(join(h.root, 'data'));
    writeFileSync(join(h.root, 'data', 'tls'), 'a file where the certificate directory should be');
    await h.update({ 'kumo.toml': cfg(h.root) });
    assert.ok(h.logged(/listener gen: cannot write its self-signed certificate .*gen\.test\.pem/).length, h.logLines.slice(-5).join('\n'));
    assert.ok(h.logged(/listener gen cannot start on 127\.0\.0\.8:0: .*; retrying every 5 s/).length, h.logLines.slice(-5).join('\n'));
    assert.equal(h.service.listener('gen'), undefined);
    assert.deepEqual(h.service.names, ['keep']);
    rmSync(join(h.root, 'data', 'tls'));
    await waitFor(() => h.service.listener('gen'), 30_000, 100);
    assert.deepEqual(h.service.names.sort(), ['gen', 'keep']);
    const c = await SmtpClient.connect(h.port('gen'), { host: '127.0.0.8' });
    await c.hello();
    await c.starttls('gen.test');
    assert.equal((await c.send('a@example.org', ['postmaster@localhost'], message())).final?.code, 250);
    await c.quit();
  } finally {
    await h.close();
  }
});

test('the queue intake failing after the spool write: the message is still accepted (it is spooled), the failure logged', async () => {
  const h = await Harness.start({ 'kumo.toml': `${BASE_MAIN}\n[listener.in]\nlisten = "127.0.0.9:0"\nstarttls = false\n` }, {
    intake: () => ({ enqueue: () => { throw new Error('queue is gone'); } }),
  });
  try {
    const c = await SmtpClient.connect(h.port('in'), { host: '127.0.0.9' });
    await c.hello();
    const r = await c.send('a@example.org', ['postmaster@localhost'], message());
    assert.equal(r.final?.code, 250, r.final?.text);
    await c.quit();
    assert.equal(await h.spool.count(), 1);
    assert.equal(h.logged(/queue intake failed for a spooled message.*queue is gone/).length, 1);

    // the batch path (HTTP inject) the same way, per message
    const listener = h.store.current.main.listeners.get('in')!;
    const m = (subject: string): IncomingMessage => ({
      data: Buffer.from(message({ subject })), sender: 'app@example.org', recipients: ['postmaster@localhost'], reportOnly: [],
      listener, peer: { ip: '127.0.0.1' }, protocol: 'HTTP', transmission: 'HTTP',
    });
    const out = await receiveBatch(h.reception, [m('one'), m('two')]);
    assert.deepEqual(out.map((o) => o.ok), [true, true]);
    assert.equal(await h.spool.count(), 3);
    assert.equal(h.logged(/queue intake failed for a spooled message.*queue is gone/).length, 3);
  } finally {
    await h.close();
  }
});
