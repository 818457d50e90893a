// Postfix's smtp client relaying into `kumo-ts serve`: a message submitted with Postfix's own
// sendmail goes postdrop → pickup → qmgr → smtp (relayhost = our listener, STARTTLS) → kumo-ts,
// which delivers it to a `kumo-ts sink --maildir` child process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort, labConfig, readRecords, startLabServer, waitUntil } from '../queue/lab.js';
import { haveTool, IN_CI, requireTool } from '../require-tool.js';
import { PostfixInstance, postfixUnavailable } from './postfix.js';
import { Tool } from './tools.js';

const unavailable = postfixUnavailable();
const skip = requireTool('postfix') || (unavailable && !IN_CI ? unavailable : false);

function maildirFiles(dir: string): Buffer[] {
  const p = join(dir, 'new');
  return existsSync(p) ? readdirSync(p).sort().map((f) => readFileSync(join(p, f))) : [];
}

describe('Postfix smtp relaying into kumo-ts', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  let postfix: PostfixInstance;
  let kumo: ServerProcess;
  let sink: Tool;
  let smtpPort: number;
  let logs: string;
  let maildir: string;

  before(async () => {
    if (!haveTool('postfix')) return;
    if (unavailable) throw new Error(unavailable);
    const tmp = tempTree({}, 'kumo-pf-client-');
    cleanups.push(tmp.cleanup);
    maildir = join(tmp.dir, 'sink-maildir');
    sink = new Tool(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'sink', '--listen', '127.0.0.1:0', '--json', '--maildir', maildir]);
    cleanups.push(() => sink.stop());
    const sinkPort = Number((await sink.waitFor(/"event":"listening","host":"127\.0\.0\.1","port":(\d+)/))[1]);

    smtpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort, sources: '', zone: '', queues: `[queue."dest.test"]\nmx_list = ["[127.0.0.1]:${sinkPort}"]\n` });
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());

    postfix = new PostfixInstance({
      mailboxes: ['postmaster@pf-local.test'],
      services: [],
      main: `
# everything not local goes to kumo-ts (an address literal: no DNS)
default_transport = smtp
relayhost = [127.0.0.1]:${smtpPort}
smtp_tls_security_level = may
smtp_tls_loglevel = 1
`,
    });
    cleanups.push(() => postfix.stop());
    await postfix.start();
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('a message submitted with Postfix sendmail is relayed by Postfix smtp over STARTTLS into kumo-ts and reaches the sink', async () => {
    const msg = 'From: Carol <carol@pf-local.test>\nTo: dave@dest.test, erin@dest.test\nSubject: relayed by Postfix\nMessage-ID: <pf-1@pf-local.test>\n\nHello from Postfix.\n';
    postfix.sendmail('carol@pf-local.test', ['dave@dest.test', 'erin@dest.test'], msg);
    // Postfix's side: sent to our listener, over TLS
    await postfix.waitForLog(new RegExp(`to=<dave@dest\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${smtpPort}, .*status=sent \\(250 `));
    await postfix.waitForLog(/TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23]/);
    // the sink's side: one transaction with both recipients, the message as Postfix sent it
    await waitUntil(() => maildirFiles(maildir).length >= 1, 30_000, 'the message in the sink maildir');
    const files = maildirFiles(maildir);
    assert.equal(files.length, 1);
    const text = files[0].toString('latin1');
    assert.match(text, /^Subject: relayed by Postfix\r\n/m);
    assert.match(text, /^Message-ID: <pf-1@pf-local\.test>\r\n/m);
    assert.match(text, /\r\n\r\nHello from Postfix\.\r\n/);
    // Postfix's own Received header (its pickup), then ours on top
    assert.match(text, /by postfix\.peer\.test \(Postfix/);
    // kumo-ts's records: received from Postfix over TLS, then delivered
    const recs = readRecords(logs);
    const rec = recs.filter((r) => r.type === 'Reception');
    assert.deepEqual(rec.map((r) => r.recipient).sort(), ['dave@dest.test', 'erin@dest.test']);
    assert.equal(rec[0].sender, 'carol@pf-local.test');
    assert.equal(rec[0].peer_address?.addr, '127.0.0.1');
    assert.ok(rec[0].tls_protocol_version, `the reception was over TLS: ${JSON.stringify(rec[0])}`);
    await waitUntil(() => readRecords(logs).filter((r) => r.type === 'Delivery').length === 2, 20_000, 'two Delivery records');
  });
});
