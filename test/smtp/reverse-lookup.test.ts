// reverse_lookup = true through the SMTP subsystem as the server composes it: the PTR name
// comes from the configured resolver ([dns], here a static zone) and goes into the Received
// header; a client without a PTR record is received all the same, with its address literal.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileOrThrow } from '../../src/config/compile.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { SmtpSubsystem } from '../../src/smtp/subsystem.js';
import { SmtpClient, message, tempDir, writeFiles } from './helpers.js';

describe('reverse_lookup through the configured resolver', () => {
  const root = tempDir('kumo-ptr-');
  const store = new ConfigStore();
  const enqueued: SpoolMeta[] = [];
  let spool: LmdbSpool;
  let smtp: SmtpSubsystem;

  before(async () => {
    writeFiles(root, {
      'kumo.toml': `[dns]\nmode = "static"\nzone_file = "zone.toml"\n\n[listener.in]\nlisten = "127.0.0.12:0"\nstarttls = false\nreverse_lookup = true\nrelay_hosts = ["127.0.0.0/8"]\n`,
      'zone.toml': `["127.0.0.13"]\nptr = ["client.example.net"]\n`,
    });
    store.swap(await compileOrThrow({ root }));
    spool = LmdbSpool.open({ path: join(root, 'spool') });
    smtp = new SmtpSubsystem({ spool, intake: { enqueue: (m) => void enqueued.push(m) } });
    await smtp.start({ store, log: createLogger({ level: 'error', out: () => undefined }) });
  });
  after(async () => {
    await smtp?.stop(Date.now() + 2000);
    await spool?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function receivedHeader(localAddress: string): Promise<string> {
    const port = smtp.service!.address('in')!.port;
    const c = await SmtpClient.connect(port, { host: '127.0.0.12', localAddress });
    await c.hello('helo.test');
    const r = await c.send('a@example.org', ['user@remote.test'], message());
    assert.equal(r.final?.code, 250, r.final?.text);
    await c.quit();
    const body = (await spool.getBody(enqueued.at(-1)!.id))!.toString('latin1');
    return /^Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(body)![0];
  }

  test('a client with a PTR record: its name is in the Received header', async () => {
    assert.match(await receivedHeader('127.0.0.13'), /from helo\.test \(client\.example\.net \[127\.0\.0\.13\]\)/);
  });

  test('a client whose PTR lookup fails (NXDOMAIN): received with the address literal only', async () => {
    assert.match(await receivedHeader('127.0.0.14'), /from helo\.test \(\[127\.0\.0\.14\]\)/);
  });
});
