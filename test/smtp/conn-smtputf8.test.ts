import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openSession } from '../../src/delivery/smtp-client.js';
import { disposition } from '../../src/delivery/response.js';
import type { Route } from '../../src/dns/route.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import { BASE_MAIN, Harness, SmtpClient, freePort, message, waitFor } from './helpers.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('reception: UTF-8 in the envelope (RFC 6531)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.in]
listen = "127.0.0.1:${await freePort()}"
starttls = false
`,
    });
  });
  after(() => h.close());

  async function session(): Promise<{ c: SmtpClient; caps: string[] }> {
    const c = await SmtpClient.connect(h.port('in'));
    const caps = await c.hello();
    return { c, caps };
  }

  test('bytes that are not UTF-8 are refused with 500 5.5.2, not rewritten to U+FFFD', async () => {
    const { c } = await session();
    c.write(Buffer.concat([utf8('MAIL FROM:<'), Buffer.from([0xff, 0xfe, 0x41]), utf8('@example.org>\r\n')]));
    const r = await c.reply();
    assert.equal(r.code, 500, `${r.code} ${r.text}`);
    assert.match(r.text, /^5\.5\.2 .*UTF-8/);
    // a truncated sequence in RCPT too, within a transaction
    assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
    c.write(Buffer.concat([utf8('RCPT TO:<b'), Buffer.from([0xc3]), utf8('@example.net>\r\n')]));
    assert.equal((await c.reply()).code, 500);
    assert.equal((await c.cmd('RCPT TO:<b@example.net>')).code, 250, 'the session goes on');
    await c.quit();
    const recs = await waitFor(async () => (await h.records_('Rejection')).filter((x) => x.response.code === 500));
    assert.ok(recs.length >= 2);
  });

  test('a non-ASCII address without SMTPUTF8 is refused with 553 5.6.7', async () => {
    const { c } = await session();
    c.write(utf8('MAIL FROM:<josé@example.org>\r\n'));
    const r = await c.reply();
    assert.equal(r.code, 553, `${r.code} ${r.text}`);
    assert.match(r.text, /^5\.6\.7 /);
    assert.equal((await c.cmd('MAIL FROM:<jose@example.org>')).code, 250);
    c.write(utf8('RCPT TO:<zoë@example.net>\r\n'));
    const rr = await c.reply();
    assert.equal(rr.code, 553);
    assert.match(rr.text, /^5\.6\.7 /);
    // an A-label domain is plain ASCII: no SMTPUTF8 needed
    assert.equal((await c.cmd('RCPT TO:<user@xn--bcher-kva.example>')).code, 250);
    await c.quit();
  });

  test('with SMTPUTF8 the mail is accepted, EHLO offers it, and the spooled message is marked', async () => {
    const { c, caps } = await session();
    assert.ok(caps.includes('SMTPUTF8'), caps.join(','));
    c.write(utf8('MAIL FROM:<josé@example.org> SMTPUTF8\r\n'));
    assert.equal((await c.reply()).code, 250);
    c.write(utf8('RCPT TO:<zoë@example.net>\r\n'));
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(utf8(message({ from: 'josé@example.org', to: 'zoë@example.net' }) + '.\r\n'));
    const final = await c.reply();
    assert.equal(final.code, 250, final.text);
    // the next transaction without SMTPUTF8 is ASCII-only again
    c.write(utf8('MAIL FROM:<josé@example.org>\r\n'));
    assert.equal((await c.reply()).code, 553);
    await c.quit();
    const id = /id=(\w+)/.exec(final.text)![1]!;
    const meta = await h.spool.getMeta(id);
    assert.equal(meta?.sender, 'josé@example.org');
    assert.equal(meta?.recipients[0]?.address, 'zoë@example.net');
    assert.equal(meta?.extra?.smtputf8, true);
  });

  test('an ASCII message is not marked', async () => {
    const { c } = await session();
    const r = await c.send('a@example.org', ['b@example.net'], message());
    assert.equal(r.final?.code, 250);
    await c.quit();
    const meta = await h.spool.getMeta(/id=(\w+)/.exec(r.final!.text)![1]!);
    assert.equal(meta?.extra?.smtputf8, undefined);
  });
});

/** A minimal SMTP server (offering SMTPUTF8 or not); records every command line. */
async function rawServer(smtputf8 = false): Promise<{ server: Server; port: number; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer((s) => {
    let buf = '';
    let data = false;
    s.write('220 legacy.test ESMTP\r\n');
    s.on('error', () => undefined);
    s.on('data', (d) => {
      buf += d.toString('utf8');
      for (let i; (i = buf.indexOf('\r\n')) >= 0; ) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (line === '.') {
            data = false;
            s.write('250 2.0.0 queued\r\n');
          }
          continue;
        }
        lines.push(line);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') s.write(`250-legacy.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n${smtputf8 ? '250-SMTPUTF8\r\n' : ''}250 SIZE 10000000\r\n`);
        else if (cmd === 'DATA') {
          data = true;
          s.write('354 go ahead\r\n');
        } else if (cmd === 'QUIT') s.end('221 bye\r\n');
        else s.write('250 2.0.0 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, lines };
}

describe('delivery: SMTPUTF8 mail only to servers that offer it (RFC 6531 §3.4)', () => {
  let sink: Sink;
  const got: SinkMessage[] = [];
  let legacy: Awaited<ReturnType<typeof rawServer>>;
  let modern: Awaited<ReturnType<typeof rawServer>>;
  const route = (port: number): Route => ({ site: 'mx.test', mxHosts: ['mx.test'], hosts: [{ name: 'mx.test', addrs: ['127.0.0.1'], port }], explicit: true });
  const open = (port: number) => openSession({ route: route(port), source: { name: 'u', file: '' }, hostname: 'node.test', shaping: { ...DEFAULT_SHAPING, enable_tls: 'Disabled' } });
  const body = Buffer.from('From: =?utf-8?q?jos=C3=A9?= <x@example.org>\r\nSubject: t\r\n\r\nhi\r\n');

  before(async () => {
    sink = await startSink({ onMessage: (m) => got.push(m) });
    legacy = await rawServer();
    modern = await rawServer(true);
  });
  after(async () => {
    await sink.close();
    legacy.server.close();
    modern.server.close();
  });

  test('kumo-ts sink offers SMTPUTF8 and gets the message', async () => {
    const s = await open(sink.port);
    assert.ok(s.offers('SMTPUTF8'));
    const r = await s.send('josé@example.org', ['zoë@x.test'], body);
    assert.equal(r.get('zoë@x.test')?.code, 250, JSON.stringify([...r]));
    await s.quit();
    const m = await waitFor(() => got.find((g) => g.from === 'josé@example.org'));
    assert.deepEqual(m!.to, ['zoë@x.test']);
  });

  test('a server that offers SMTPUTF8 gets MAIL FROM with the SMTPUTF8 parameter', async () => {
    const s = await open(modern.port);
    const r = await s.send('josé@example.org', ['zoë@x.test'], body);
    assert.equal(r.get('zoë@x.test')?.code, 250);
    await s.quit();
    assert.ok(modern.lines.some((l) => /^MAIL FROM:<josé@example\.org> .*\bSMTPUTF8\b/.test(l)), modern.lines.join('\n'));
    assert.ok(modern.lines.includes('RCPT TO:<zoë@x.test>'), modern.lines.join('\n'));
  });

  test('a server without SMTPUTF8 never sees the message: every recipient bounces with 5.6.7', async () => {
    const s = await open(legacy.port);
    assert.equal(s.offers('SMTPUTF8'), false);
    const r = await s.send('josé@example.org', ['a@x.test', 'b@x.test'], body);
    for (const rcpt of ['a@x.test', 'b@x.test']) {
      const reply = r.get(rcpt)!;
      assert.equal(reply.code, 550);
      assert.equal(reply.enhanced, '5.6.7');
      assert.equal(disposition(reply), 'permanent');
    }
    // a message received with SMTPUTF8 but with an ASCII envelope: the same
    const r2 = await s.send('a@example.org', ['c@x.test'], body, { smtputf8: true });
    assert.equal(r2.get('c@x.test')?.enhanced, '5.6.7');
    // the session is still usable: an ASCII message, and an IDN domain sent as A-labels
    const ok = await s.send('a@example.org', ['d@bücher.example'], body);
    assert.equal(ok.get('d@bücher.example')?.code, 250, JSON.stringify([...ok]));
    await s.quit();
    const mails = legacy.lines.filter((l) => /^MAIL/i.test(l));
    assert.equal(mails.length, 1, legacy.lines.join('\n'));
    assert.ok(!legacy.lines.some((l) => /[^\x00-\x7f]/.test(l)), 'nothing non-ASCII went out');
    assert.ok(legacy.lines.includes('RCPT TO:<d@xn--bcher-kva.example>'), legacy.lines.join('\n'));
  });
});
