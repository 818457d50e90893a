// Outbound SMTP AUTH end to end, as an operator runs it: a kumo-ts relaying to a second kumo-ts
// whose listener requires AUTH PLAIN after STARTTLS (a certificate from a test CA, which the
// sender trusts through NODE_EXTRA_CA_CERTS) and relays only authenticated sessions; the
// password comes from a key source file. A receiver that offers AUTH in clear text (no
// STARTTLS) never gets the credentials.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/auth/password-hash.js';
import { freePort, inject, readRecords, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { startKumo } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';
import { tempTree } from '../helpers/tmp.js';

const PASSWORD = 's3cret pw';

/** Offers AUTH PLAIN without STARTTLS and records every line it is sent. */
async function clearTextAuthServer(): Promise<{ port: number; lines: string[]; close: () => Promise<void> }> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.write('220 plain.auth.test ESMTP\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        lines.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') s.write('250-plain.auth.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
        else if (verb === 'AUTH') s.write('235 2.7.0 accepted\r\n');
        else if (verb === 'QUIT') s.end('221 bye\r\n');
        else s.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    lines,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('outbound AUTH PLAIN through kumo-ts serve', () => {
  const cleanups: (() => unknown)[] = [];
  let sender: ServerProcess;
  let receiver: ServerProcess;
  let sendPort: number;
  let sendLogs: string;
  let recvLogs: string;
  let maildir: string;
  let plain: Awaited<ReturnType<typeof clearTextAuthServer>>;
  const tail = (p: ServerProcess) => p.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');

  before(async () => {
    const ca = await makeCa('auth e2e CA');
    const mx = await issue(ca, ['mx.auth.test']);
    plain = await clearTextAuthServer();
    cleanups.push(() => plain.close());

    const recv = tempTree();
    cleanups.push(recv.cleanup);
    const recvPort = await freePort();
    recvLogs = join(recv.dir, 'logs');
    maildir = join(recv.dir, 'maildir');
    recv.write('config/kumo.toml', `
hostname = "mx.auth.test"
[listener.sub]
listen = "127.0.0.1:${recvPort}"
relay_hosts = []                   # only authenticated sessions may relay
[listener.sub.tls]
certificate = "mx.pem"
private_key = "mx.key"
[listener.sub.auth]
credentials = "users.txt"
relay = true
[http]
enabled = false
[spool]
path = ${JSON.stringify(join(recv.dir, 'spool'))}
[logs]
path = ${JSON.stringify(recvLogs)}
compress = false
[dns]
mode = "static"
zone_file = "zone.toml"
`);
    recv.write('config/mx.pem', mx.cert);
    recv.write('config/mx.key', mx.key);
    recv.write('config/users.txt', `relay-user:${await hashPassword(PASSWORD, { cost: 10 })}\n`);
    recv.write('config/zone.toml', '');
    recv.write('config/queues.toml', `[queue.'dest.test']\nprotocol = { maildir_path = ${JSON.stringify(maildir)} }\n`);
    receiver = await startLabServer(recv.dir);
    cleanups.push(() => receiver.stop('SIGKILL'));

    const send = tempTree();
    cleanups.push(send.cleanup);
    sendPort = await freePort();
    sendLogs = join(send.dir, 'logs');
    send.write('config/kumo.toml', `
hostname = "out.lab.test"
[listener.smtp]
listen = "127.0.0.1:${sendPort}"
[http]
enabled = false
[spool]
path = ${JSON.stringify(join(send.dir, 'spool'))}
[logs]
path = ${JSON.stringify(sendLogs)}
compress = false
[dns]
mode = "static"
zone_file = "zone.toml"
`);
    send.write('config/zone.toml', '["mx.auth.test"]\na = ["127.0.0.1"]\n["plain.auth.test"]\na = ["127.0.0.1"]\n');
    send.write('config/queues.toml', `[queue.'dest.test']\nmx_list = ["mx.auth.test:${recvPort}"]\n[queue.'plain.test']\nmx_list = ["plain.auth.test:${plain.port}"]\n`);
    send.write('config/secrets/relay.pw', `${PASSWORD}\n`);
    const auth = 'smtp_auth_plain_username = "relay-user"\nsmtp_auth_plain_password = "secrets/relay.pw"\n';
    send.write('config/shaping.toml', [
      '[provider."relay"]', 'match = [{ HostName = "mx.auth.test" }]', 'enable_tls = "Required"', auth,
      // Opportunistic: the session goes on in clear text when STARTTLS is not offered
      '[provider."cleartext"]', 'match = [{ HostName = "plain.auth.test" }]', 'enable_tls = "Opportunistic"', auth,
    ].join('\n'));
    send.write('ca.pem', ca.cert);
    sender = startKumo(['serve', '-c', join(send.dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info', NODE_EXTRA_CA_CERTS: join(send.dir, 'ca.pem') } });
    cleanups.push(() => sender.stop('SIGKILL'));
    await sender.waitFor((l) => l.msg === 'kumo-ts ready', 20_000, 'the sender ready');
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('the receiver that requires AUTH over STARTTLS gets the configured credentials and accepts the message', async () => {
    await inject(sendPort, [{ from: 'alice@src.test', to: ['bob@dest.test'], data: tagged(1) }], 1);
    const files = () => (existsSync(join(maildir, 'new')) ? readdirSync(join(maildir, 'new')) : []);
    await waitUntil(() => files().length === 1, 30_000, 'the message in the receiver\'s maildir').catch((e: Error) => assert.fail(`${e.message}\nsender:\n${tail(sender)}\nreceiver:\n${tail(receiver)}\n${JSON.stringify(readRecords(sendLogs).map((r) => r.response))}`));
    const msg = readFileSync(join(maildir, 'new', files()[0]), 'latin1');
    assert.match(msg, /by mx\.auth\.test \(kumo-ts\) with ESMTPSA \(version=TLSv1\.[23]/, 'received over TLS, authenticated');
    const findReception = () => readRecords(recvLogs).find((r) => r.type === 'Reception');
    await waitUntil(() => !!findReception(), 10_000, 'the receiver logged the reception');
    const reception = findReception();
    assert.equal((reception?.meta as Record<string, unknown> | undefined)?.authz_id, 'relay-user');
    // The receiver may file the message before the sender has read its 250 and logged
    const findDelivery = () => readRecords(sendLogs).find((r) => r.type === 'Delivery' && r.recipient === 'bob@dest.test');
    await waitUntil(() => !!findDelivery(), 10_000, 'the sender logged the delivery').catch((e: Error) => assert.fail(`${e.message}\n${tail(sender)}`));
    const delivery = findDelivery()!;
    assert.equal(delivery.tls_peer_subject_name?.[0], 'mx.auth.test');
  });

  it('with TLS unavailable the credentials are never sent: TransientFailure saying so', async () => {
    await inject(sendPort, [{ from: 'alice@src.test', to: ['carol@plain.test'], data: tagged(2) }], 1);
    const failure = () => readRecords(sendLogs).find((r) => r.type === 'TransientFailure' && r.recipient === 'carol@plain.test');
    await waitUntil(() => !!failure(), 30_000, 'a TransientFailure').catch((e: Error) => assert.fail(`${e.message}\n${tail(sender)}`));
    assert.match(failure()!.response.content, /AUTH PLAIN as "relay-user" .* not attempted: the session is not encrypted .*allow_smtp_auth_plain_without_tls.*the credentials were not sent/);
    assert.ok(plain.lines.some((l) => /^EHLO /.test(l)), 'the session got as far as EHLO');
    const b64 = Buffer.from(`\0relay-user\0${PASSWORD}`).toString('base64');
    assert.ok(!plain.lines.some((l) => /^AUTH/i.test(l) || l.includes(b64) || l.includes(PASSWORD)), `no credentials on the wire: ${JSON.stringify(plain.lines)}`);
  });
});
