// End to end: SMTP in to `kumo-ts serve`, DKIM-signed at reception, delivered over SMTP to
// `kumo-ts sink --maildir`; the delivered message's signatures are verified with mailauth
// against the same static zone the server uses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { verifyDkim } from '../../src/dkim/verify.js';
import type { DkimResult } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import type { StaticZone } from '../../src/dns/static-resolver.js';
import { FakeVault } from '../keys/vault-server.js';
import { readRecords, waitUntil } from '../queue/lab.js';
import { spooledBodies } from '../helpers/spool-peek.js';
import { freePort } from '../helpers/ports.js';
import { ed25519TestKey, rsaTestKey, tempDir, write } from './helpers.js';
import type { TestKey } from './helpers.js';

const BIN = join(PACKAGE_ROOT, 'bin/kumo-ts');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function waitForPort(port: number, child: ChildProcess, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${what} is not listening on ${port} after ${ms} ms`);
}

class Proc {
  output = '';
  readonly child: ChildProcess;
  constructor(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }
  async waitFor(re: RegExp, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.output)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${this.output.slice(-3000)}`);
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}):\n${this.output.slice(-3000)}`);
      await sleep(100);
    }
  }
  /** The hash of the config epoch live now (the last "config epoch N live" line). */
  liveHash(): string | undefined {
    return [...this.output.matchAll(/"msg":"config epoch \d+ live","hash":"(\w+)"/g)].at(-1)?.[1];
  }
  /**
   * Makes a config change and waits until a config with another hash is live. (The epoch number is not a
   * signal: the monitor may recompile an unchanged config once after the start.)
   */
  async reconfigure(change: () => void, ms = 20_000): Promise<void> {
    const prev = this.liveHash();
    change();
    const end = Date.now() + ms;
    while (this.liveHash() === prev) {
      if (Date.now() > end) throw new Error(`timed out waiting for a new config epoch in:\n${this.output.slice(-3000)}`);
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}):\n${this.output.slice(-3000)}`);
      await sleep(100);
    }
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 12_000);
    await done;
    clearTimeout(t);
  }
}

/** Every message file under a maildir tree (new/ and cur/), oldest first. */
function maildirMessages(dir: string): Buffer[] {
  const files: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\/(new|cur)$/.test(d)) files.push(p);
    }
  };
  walk(dir);
  return files.sort().map((f) => readFileSync(f));
}

async function waitForMessages(dir: string, n: number, ms = 30_000): Promise<Buffer[]> {
  const end = Date.now() + ms;
  for (;;) {
    const msgs = maildirMessages(dir);
    if (msgs.length >= n) return msgs;
    if (Date.now() > end) throw new Error(`expected ${n} delivered messages in ${dir}, found ${msgs.length}`);
    await sleep(150);
  }
}

function zoneToml(zone: StaticZone): string {
  return Object.entries(zone)
    .map(([name, recs]) => `["${name}"]\n` + Object.entries(recs).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n'))
    .join('\n\n') + '\n';
}

const dkimToml = (sel: { rsa: string; ed: string }, canon: 'relaxed' | 'simple') => `
[base]
header_canonicalization = "${canon}"
body_canonicalization = "${canon}"
additional_signatures = ["ed25519"]

[domain."example.com"]
selector = "${sel.rsa}"
filename = "keys/rsa.pem"

[signature.ed25519]
selector = "${sel.ed}"
algo = "ed25519"
filename = "keys/ed.pem"
`;

describe('DKIM end to end: SMTP in, sink out', { timeout: 120_000 }, () => {
  const tmp = tempDir('kumo-dkim-e2e-');
  let rsa: TestKey;
  let ed: TestKey;
  let zone: StaticZone;
  let smtpPort: number;
  let sinkPort: number;
  let server: Proc;
  let sink: Proc;
  const vault = new FakeVault('s.right-token');
  let vaultAddr: string;
  const root = join(tmp.dir, 'config');
  const maildir = join(tmp.dir, 'maildir');
  const spool = join(tmp.dir, 'spool');
  const logs = join(tmp.dir, 'logs');

  before(async () => {
    rsa = rsaTestKey();
    ed = ed25519TestKey();
    vaultAddr = await vault.start();
    vault.set('dkim/example.com/vault-ed.key', { key: ed.pem });
    zone = {
      'example.net': { mx: ['10 mx.example.net'] },
      'mx.example.net': { a: ['127.0.0.1'] },
      // the same keys published under two selectors each, so that a dkim.toml edit can switch
      'rsa1._domainkey.example.com': { txt: [rsa.txt] },
      'rsa2._domainkey.example.com': { txt: [rsa.txt] },
      'ed1._domainkey.example.com': { txt: [ed.txt] },
      'ed2._domainkey.example.com': { txt: [ed.txt] },
      'vault-ed._domainkey.example.com': { txt: [ed.txt] },
    };
    smtpPort = await freePort();
    sinkPort = await freePort();
    write(root, 'kumo.toml', `
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
relay_hosts = ["127.0.0.0/8"]
[spool]
path = "${spool}"
[logs]
path = "${logs}"
[dns]
mode = "static"
zone_file = "zone.toml"
[monitor]
poll_interval = "1s"
`);
    write(root, 'zone.toml', zoneToml(zone));
    write(root, 'queues.toml', `[queue.default]\nmx_list = ["127.0.0.1:${sinkPort}"]\nretry_interval = "1s"\n`);
    write(root, 'keys/rsa.pem', rsa.pem);
    write(root, 'keys/ed.pem', ed.pem);
    write(root, 'dkim.toml', dkimToml({ rsa: 'rsa1', ed: 'ed1' }, 'relaxed'));

    sink = new Proc(['sink', '--listen', `127.0.0.1:${sinkPort}`, '--maildir', maildir], tmp.dir);
    await waitForPort(sinkPort, sink.child, 'kumo-ts sink');
    server = new Proc(['serve', '--config', root], tmp.dir, { VAULT_ADDR: '', VAULT_TOKEN: '' });
    await server.waitFor(/kumo-ts ready/, 30_000);
    await waitForPort(smtpPort, server.child, 'kumo-ts serve');
  });

  after(async () => {
    await server?.stop();
    await sink?.stop();
    await vault.stop();
    tmp.cleanup();
  });

  let sent = 0;
  async function send(subject: string) {
    const t = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    try {
      return await t.sendMail({
        from: 'Alice <alice@example.com>',
        to: 'bob@example.net',
        subject,
        text: `Message ${++sent}.\n\nWith  trailing   spaces   \nand lines.\n`,
        headers: { 'X-Test': subject },
      });
    } finally {
      t.close();
    }
  }

  /** Waits for the n-th delivery and verifies the message sent with `subject` (maildir names do not sort by time). */
  async function verifyDelivered(n: number, subject: string): Promise<DkimResult[]> {
    const msgs = await waitForMessages(maildir, n);
    const mine = msgs.filter((m) => m.includes(`\r\nSubject: ${subject}\r\n`));
    assert.equal(mine.length, 1, `exactly one delivered message has Subject: ${subject}`);
    return verifyDkim(mine[0]!, new StaticResolver(zone));
  }

  it('a relayed message carries RSA and Ed25519 signatures that verify (relaxed)', async () => {
    await send('relaxed');
    const res = await verifyDelivered(1, 'relaxed');
    assert.deepEqual(res.map((r) => [r.domain, r.selector, r.algorithm, r.canonicalization, r.result]), [
      ['example.com', 'rsa1', 'rsa-sha256', 'relaxed/relaxed', 'pass'],
      ['example.com', 'ed1', 'ed25519-sha256', 'relaxed/relaxed', 'pass'],
    ]);
  });

  it('editing dkim.toml while the server runs changes the selector (and canonicalization) of the next message', async () => {
    await server.reconfigure(() => write(root, 'dkim.toml', dkimToml({ rsa: 'rsa2', ed: 'ed2' }, 'simple')));
    await send('simple');
    const res = await verifyDelivered(2, 'simple');
    assert.deepEqual(res.map((r) => [r.selector, r.algorithm, r.canonicalization, r.result]), [
      ['rsa2', 'rsa-sha256', 'simple/simple', 'pass'],
      ['ed2', 'ed25519-sha256', 'simple/simple', 'pass'],
    ]);
  });

  it('a Vault key with a wrong token defers the message (451), nothing is spooled; the right token signs it', async () => {
    const vaultDkim = (token: string) => `
[base]
vault_mount = "secret"
vault_address = "${vaultAddr}"
vault_token = "${token}"
[domain."example.com"]
selector = "vault-ed"
algo = "ed25519"
`;
    await server.reconfigure(() => write(root, 'dkim.toml', vaultDkim('s.wrong-token')));
    await assert.rejects(send('vault'), (e: { responseCode?: number; response?: string }) => {
      assert.equal(e.responseCode, 451, String(e.response));
      assert.match(e.response ?? '', /4\.3\.0/);
      return true;
    });
    assert.match(server.output, /Vault refused the token/, 'the log names the failing key source');
    // the 451 is the reply to the final dot: had the message been spooled, it would be there now
    const spooled = spooledBodies(spool).filter((b) => /^X-Test: vault\r$/m.test(b.toString('latin1')));
    assert.equal(spooled.length, 0, 'nothing is spooled');

    await server.reconfigure(() => write(root, 'dkim.toml', vaultDkim('s.right-token')));
    await send('vault'); // the client retries what got 451: nothing is lost
    const res = await verifyDelivered(3, 'vault');
    assert.deepEqual(res.map((r) => [r.selector, r.algorithm, r.result]), [['vault-ed', 'ed25519-sha256', 'pass']]);
    // once the last message's Delivery is logged, a message spooled before it would be logged too:
    // three receptions and three deliveries, no more
    await waitUntil(() => readRecords(logs).filter((r) => r.type === 'Delivery').length >= 3, 20_000, 'the third Delivery record');
    const recs = readRecords(logs);
    assert.equal(recs.filter((r) => r.type === 'Reception').length, 3, 'the refused message was never received into the spool');
    assert.equal(recs.filter((r) => r.type === 'Delivery').length, 3);
    assert.equal(maildirMessages(maildir).length, 3, 'nothing else was delivered');
  });
});
