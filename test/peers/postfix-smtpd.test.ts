// Postfix smtpd as the receiving MTA of `kumo-ts serve`: STARTTLS (Required, the certificate
// verified against a CA the test made), PIPELINING (and its absence), and the per-recipient
// replies of a multi-recipient transaction in which Postfix refuses one unknown mailbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LogRecord } from '../../src/logging/types.js';
import { startKumo } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, labConfig, readRecords, tagged, waitUntil } from '../queue/lab.js';
import { haveTool, requireTool, IN_CI } from '../require-tool.js';
import { makeCertificates, PostfixInstance, postfixUnavailable } from './postfix.js';
import { onFreePort, recordingRelay } from './tools.js';

const unavailable = postfixUnavailable();
const skip = requireTool('postfix') || requireTool('openssl') || (unavailable && !IN_CI ? unavailable : false);
const DOMAINS = ['tls.test', 'pipe.test', 'nopipe.test'];

describe('Postfix smtpd receiving from kumo-ts', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  let postfix: PostfixInstance;
  let kumo: ServerProcess;
  let smtpPort: number;
  let logs: string;
  let pipeRelay: Awaited<ReturnType<typeof recordingRelay>>;
  let nopipeRelay: Awaited<ReturnType<typeof recordingRelay>>;

  before(async () => {
    if (!haveTool('postfix')) return;
    if (unavailable) throw new Error(unavailable);
    const tmp = tempTree({}, 'kumo-pf-certs-');
    cleanups.push(tmp.cleanup);
    const certs = makeCertificates(tmp.dir, 'mx.pf.test');
    const started = await onFreePort(async (tlsPort) => {
      const plainPort = await freePort();
      const pf = new PostfixInstance({
        mailboxes: DOMAINS.flatMap((d) => [`alice@${d}`, `bob@${d}`]),
        services: [{ port: tlsPort }, { port: plainPort, options: { smtpd_discard_ehlo_keywords: 'pipelining' } }],
        main: `
smtpd_tls_security_level = may
smtpd_tls_cert_file = ${certs.certFile}
smtpd_tls_key_file = ${certs.keyFile}
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
`,
      });
      cleanups.push(() => pf.stop());
      await pf.start();
      return { pf, plainPort };
    });
    postfix = started.value.pf;
    pipeRelay = await recordingRelay(started.port);
    cleanups.push(() => pipeRelay.close());
    nopipeRelay = await recordingRelay(started.value.plainPort);
    cleanups.push(() => nopipeRelay.close());

    smtpPort = await freePort();
    const cfg = labConfig({
      smtpPort,
      sinkPort: 0,
      sources: '',
      zone: '["mx.pf.test"]\na = ["127.0.0.1"]\n',
      queues: `
[queue."tls.test"]
# by name: the certificate is verified for mx.pf.test (SNI too)
mx_list = ["mx.pf.test:${started.port}"]
retry_interval = "1h"
[queue."pipe.test"]
mx_list = ["[127.0.0.1]:${pipeRelay.port}"]
retry_interval = "1h"
[queue."nopipe.test"]
mx_list = ["[127.0.0.1]:${nopipeRelay.port}"]
retry_interval = "1h"
`,
    });
    cleanups.push(cfg.cleanup);
    cfg.write('config/shaping.toml', `
["tls.test"]
mx_rollup = false
enable_tls = "Required"
["pipe.test"]
mx_rollup = false
enable_tls = "Disabled"
["nopipe.test"]
mx_rollup = false
enable_tls = "Disabled"
`);
    logs = join(cfg.dir, 'logs');
    // the test CA is trusted the way an operator would: NODE_EXTRA_CA_CERTS
    kumo = startKumo(['serve', '-c', join(cfg.dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info', NODE_EXTRA_CA_CERTS: certs.caFile } });
    cleanups.push(() => kumo.stop());
    await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'kumo-ts ready');
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** Injects one message to alice, nobody (unknown to Postfix) and bob of `domain`; returns their final records. */
  async function sendThree(domain: string, seq: number): Promise<Map<string, LogRecord>> {
    const rcpts = [`alice@${domain}`, `nobody@${domain}`, `bob@${domain}`];
    assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: rcpts, data: tagged(seq) }], 1)).size, 1);
    const final = () => new Map(readRecords(logs).filter((r) => r.type !== 'Reception' && rcpts.includes(r.recipient as string)).map((r) => [r.recipient as string, r]));
    await waitUntil(() => final().size === 3, 30_000, `records for ${rcpts.join(', ')}`).catch((e: Error) => {
      throw new Error(`${e.message}; got ${JSON.stringify([...final().values()].map((r) => [r.recipient, r.type, r.response.content]))}\nPostfix:\n${postfix.log().split('\n').slice(-20).join('\n')}`);
    });
    return final();
  }

  async function assertOutcomes(recs: Map<string, LogRecord>, domain: string, seq: number): Promise<void> {
    for (const who of ['alice', 'bob']) {
      const r = recs.get(`${who}@${domain}`)!;
      assert.equal(r.type, 'Delivery', `${who}: ${JSON.stringify(r.response)}`);
      assert.equal(r.response.code, 250);
      assert.match(r.response.content, /queued as [0-9A-F]+/);
      // Postfix answers 250 once queued; its virtual agent writes the mailbox a moment later
      await postfix.waitForLog(new RegExp(`to=<${who}@${domain.replace('.', '\\.')}>, relay=virtual, .* status=sent \\(delivered to maildir\\)`));
      const box = postfix.mailbox(`${who}@${domain}`);
      assert.equal(box.length, 1, `one message in ${who}@${domain}'s Postfix mailbox`);
      assert.match(box[0].toString('latin1'), new RegExp(`^X-Lab-Seq: ${seq}\\r?$`, 'm'));
    }
    const bounce = recs.get(`nobody@${domain}`)!;
    assert.equal(bounce.type, 'Bounce');
    assert.equal(bounce.response.code, 550);
    assert.deepEqual(bounce.response.enhanced_code, { class: 5, subject: 1, detail: 1 });
    assert.match(bounce.response.content, /User unknown in virtual mailbox table/);
    assert.match(bounce.response.command ?? '', /^RCPT TO/);
    assert.deepEqual(postfix.mailbox(`nobody@${domain}`), []);
  }

  test('STARTTLS Required, certificate verified: delivered into the mailboxes; the unknown mailbox is a Bounce', async () => {
    const recs = await sendThree('tls.test', 1);
    await assertOutcomes(recs, 'tls.test', 1);
    const alice = recs.get('alice@tls.test')!;
    assert.match(alice.tls_protocol_version ?? '', /^TLSv1\.[23]$/);
    assert.ok(alice.tls_cipher);
    assert.ok(alice.tls_peer_subject_name?.includes('mx.pf.test'), JSON.stringify(alice.tls_peer_subject_name));
    // Postfix's view: a TLS session, and one transaction with both accepted recipients
    await postfix.waitForLog(/TLS connection established from localhost\[127\.0\.0\.1\]/);
    assert.match(postfix.mailbox('alice@tls.test')[0].toString('latin1'), /\(using TLSv1\.[23] with cipher /);
    const qid = /queued as ([0-9A-F]+)/.exec(alice.response.content)![1];
    await postfix.waitForLog(new RegExp(`${qid}: from=<sender@kumo\\.test>, size=\\d+, nrcpt=2 `));
  });

  test('PIPELINING offered: MAIL, every RCPT and DATA go out in one batch; replies map to their recipients', async () => {
    pipeRelay.chunks.length = 0;
    const recs = await sendThree('pipe.test', 2);
    await assertOutcomes(recs, 'pipe.test', 2);
    const batch = pipeRelay.chunks.find((c) => c.includes('MAIL FROM:<sender@kumo.test>'));
    assert.ok(batch, `a chunk with MAIL FROM: ${JSON.stringify(pipeRelay.chunks)}`);
    assert.match(batch, /MAIL FROM:[^\r]*\r\nRCPT TO:<alice@pipe\.test>\r\nRCPT TO:<nobody@pipe\.test>\r\nRCPT TO:<bob@pipe\.test>\r\nDATA\r\n/);
    assert.doesNotMatch(postfix.log(), /improper command pipelining/);
  });

  test('PIPELINING not offered: one command at a time, and Postfix sees no improper pipelining', async () => {
    nopipeRelay.chunks.length = 0;
    const recs = await sendThree('nopipe.test', 3);
    await assertOutcomes(recs, 'nopipe.test', 3);
    const mail = nopipeRelay.chunks.findIndex((c) => c.includes('MAIL FROM:<sender@kumo.test>'));
    assert.ok(mail >= 0);
    assert.ok(!/RCPT TO/.test(nopipeRelay.chunks[mail]), `MAIL FROM went alone: ${JSON.stringify(nopipeRelay.chunks[mail])}`);
    assert.ok(nopipeRelay.chunks.some((c) => /^RCPT TO:<nobody@nopipe\.test>\r\n$/.test(c)), 'each RCPT TO on its own');
    assert.doesNotMatch(postfix.log(), /improper command pipelining/);
  });
});
