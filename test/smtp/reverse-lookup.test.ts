// reverse_lookup = true through the SMTP subsystem as the server composes it: the PTR name
// comes from the configured resolver ([dns], here a static zone) and goes into the Received
// header; a client without a PTR record is received all the same, with its address literal.
// With a real name server (unbound) the lookup takes a round trip: a client that pipelines
// EHLO before the greeting is answered after it, in order.
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
import { connect } from 'node:net';
import { requireTool } from '../require-tool.js';
import { startUnbound } from '../helpers/unbound.js';
import type { Unbound } from '../helpers/unbound.js';
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

describe('reverse_lookup against a name server, with a client that talks before the greeting', { skip: requireTool('unbound') }, () => {
  const root = tempDir('kumo-ptr-ub-');
  const store = new ConfigStore();
  let ub: Unbound;
  let spool: LmdbSpool;
  let smtp: SmtpSubsystem;

  before(async () => {
    ub = await startUnbound({ records: [], zones: ['0.0.127.in-addr.arpa. static'], ptr: ['127.0.0.15 pipe.example.net.'] });
    writeFiles(root, {
      'kumo.toml': `[dns]\nmode = "servers"\nname_servers = ["${ub.server}"]\ntimeout = "5s"\n\n[listener.in]\nlisten = "127.0.0.12:0"\nstarttls = false\nreverse_lookup = true\n`,
    });
    store.swap(await compileOrThrow({ root }));
    spool = LmdbSpool.open({ path: join(root, 'spool') });
    smtp = new SmtpSubsystem({ spool });
    await smtp.start({ store, log: createLogger({ level: 'error', out: () => undefined }) });
  });
  after(async () => {
    await smtp?.stop(Date.now() + 2000);
    await spool?.close();
    await ub?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('EHLO sent with the connection is answered after the greeting, not refused, not lost', async () => {
    const port = smtp.service!.address('in')!.port;
    const lines = await new Promise<string[]>((resolve, reject) => {
      const s = connect({ host: '127.0.0.12', port, localAddress: '127.0.0.15' }, () => s.write('EHLO pipe.test\r\n'));
      let got = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        got += d;
        if (/^250 /m.test(got)) {
          s.end('QUIT\r\n');
          resolve(got.split('\r\n'));
        }
      });
      s.on('error', reject);
      s.on('close', () => reject(new Error(`closed after ${JSON.stringify(got)}`)));
    });
    assert.match(lines[0]!, /^220 /, lines.join('|'));
    assert.match(lines[1]!, /^250-\S+ Nice to meet you, pipe\.example\.net$/, lines.join('|'));
  });
});
