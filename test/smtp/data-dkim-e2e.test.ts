// Issue 9 item 6, end to end: a body with bare CR and bare LF goes into `kumo-ts serve` (a
// real child process), is normalised at reception before DKIM signing, spooled, and delivered
// over SMTP to a capturing test server. The delivered bytes equal the spooled bytes, and the
// signature verifies with mailauth against the static zone the server uses.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { open } from 'lmdb';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import type { StaticZone } from '../../src/dns/static-resolver.js';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage, Verdict } from '../../src/sink/sink.js';
import { ed25519TestKey } from '../dkim/helpers.js';
import { ServerProcess } from './server-process.js';
import { SmtpClient, freePort, tempDir, waitFor } from './helpers.js';

function zoneToml(zone: StaticZone): string {
  return Object.entries(zone)
    .map(([name, recs]) => `["${name}"]\n` + Object.entries(recs).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n'))
    .join('\n\n') + '\n';
}

/** The spooled body of `id`, read from the server's lmdb environment (lmdb is multi-process). */
function spooledBody(spoolPath: string, id: string): Buffer | undefined {
  const env = open({ path: spoolPath, readOnly: true, maxDbs: 4 });
  try {
    const v = env.openDB<Buffer, string>({ name: 'body', encoding: 'binary' }).get(id);
    return v ? Buffer.from(v) : undefined;
  } finally {
    void env.close();
  }
}

describe('DKIM with bare CR / bare LF in the body: sign what is sent', { timeout: 90_000 }, () => {
  const cwd = tempDir('kumo-data-dkim-');
  const key = ed25519TestKey();
  const zone: StaticZone = {
    'example.net': { mx: ['10 mx.example.net'] },
    'mx.example.net': { a: ['127.0.0.1'] },
    'ed1._domainkey.example.com': { txt: [key.txt] },
  };
  let server: ServerProcess;
  let sink: Sink;
  let smtpPort: number;
  let accept = false;
  let attempts = 0;
  const delivered: SinkMessage[] = [];

  before(async () => {
    smtpPort = await freePort();
    const sinkPort = await freePort();
    sink = await startSink({
      host: '127.0.0.1',
      port: sinkPort,
      // the first attempt is deferred, so that the spooled message can be read before delivery
      verdict: (): Verdict => (attempts++, accept ? { kind: 'accept' } : { kind: 'reject', code: 451, text: '4.3.0 not yet' }),
      onMessage: (m) => delivered.push(m),
    });
    const conf = join(cwd, 'config');
    mkdirSync(join(conf, 'keys'), { recursive: true });
    writeFileSync(join(conf, 'kumo.toml'), `
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
starttls = false
[http]
enabled = false
[spool]
path = "${join(cwd, 'data/spool')}"
[logs]
path = "${join(cwd, 'data/logs')}"
[dns]
mode = "static"
zone_file = "zone.toml"
`);
    writeFileSync(join(conf, 'zone.toml'), zoneToml(zone));
    writeFileSync(join(conf, 'queues.toml'), `[queue.default]\nmx_list = ["127.0.0.1:${sinkPort}"]\nretry_interval = "1s"\n`);
    writeFileSync(join(conf, 'keys/ed.pem'), key.pem);
    writeFileSync(join(conf, 'dkim.toml'), `
[base]
header_canonicalization = "relaxed"
body_canonicalization = "simple"
[domain."example.com"]
selector = "ed1"
algo = "ed25519"
filename = "keys/ed.pem"
`);
    server = await ServerProcess.start(cwd, 30_000);
  });

  after(async () => {
    await server?.stop();
    await sink?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('normalised once at reception: delivered bytes = spooled bytes, and the signature verifies', async () => {
    const c = await SmtpClient.connect(smtpPort);
    await c.hello();
    assert.equal((await c.cmd('MAIL FROM:<alice@example.com>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<bob@example.net>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(Buffer.from(
      'From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: bare line ends\r\nMessage-ID: <bare@example.com>\r\n\r\n' +
      'line one\rline two\nline three\r\n\rafter a lone CR\r\n.\r\n', 'latin1'));
    const r = await c.reply();
    assert.equal(r.code, 250, r.text);
    const id = /id=(\S+)/.exec(r.text)![1]!;
    await c.quit();

    await waitFor(() => attempts > 0, 20_000);
    const spooled = spooledBody(join(cwd, 'data/spool'), id);
    assert.ok(spooled, 'the message is in the spool');
    assert.doesNotMatch(spooled.toString('latin1'), /\r(?!\n)|(?<!\r)\n/, 'spooled with CRLF line ends only');

    accept = true;
    await waitFor(() => delivered.length > 0, 30_000, 100);
    const got = delivered[0]!.data;
    assert.equal(got.toString('latin1'), spooled.toString('latin1'), 'delivered exactly as spooled (and signed)');
    const res = await verifyDkim(got, new StaticResolver(zone));
    assert.deepEqual(res.map((x) => [x.domain, x.selector, x.result]), [['example.com', 'ed1', 'pass']]);
  });
});
