// MTA-STS end to end: a kumo-ts child process, a static zone, a real HTTPS policy server with a
// test CA, and STARTTLS sinks on loopback. enforce drops the MX hosts the policy does not list
// (even the preferred one) and refuses a certificate that does not match; testing delivers
// anyway; the policy cached on disk holds across a restart while the policy server is down, and
// when a new policy id cannot be fetched; an enforce policy naming none of the MX hosts is a
// 4.7.5 transient failure; a policy with max_age 0 applies to the lookup that fetched it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, seqOf, waitUntil } from '../queue/lab.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';

const POLICIES: Record<string, string> = {
  'enf.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx1.enf.test\r\nmax_age: 86400\r\n',
  'mism.test': 'version: STSv1\nmode: enforce\nmx: *.mism.test\nmax_age: 86400\n',
  'testing.test': 'version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n',
  'nomatch.test': 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n',
  'zero.test': 'version: STSv1\nmode: enforce\nmx: mx1.enf.test\nmax_age: 0\n',
};

describe('MTA-STS (RFC 8461) with a local HTTPS policy server', () => {
  const cleanups: (() => unknown)[] = [];
  const got = new Map<string, SinkMessage[]>();
  let policyServer: Server;
  let kumo: ServerProcess;
  let lab: ReturnType<typeof labConfig>;
  let smtpPort: number;
  let fetches = 0;

  before(async () => {
    const ca = await makeCa();
    const certs = {
      '127.0.0.2': await issue(ca, ['mx1.enf.test']),
      '127.0.0.3': await issue(ca, ['backup.other.test']),
      '127.0.0.4': await issue(ca, ['wrong-name.example']),
      '127.0.0.5': undefined, // self-signed: not trusted
    } as const;
    const sinks: Sink[] = await sinksOnOnePort(Object.keys(certs), (h) => {
      const c = certs[h as keyof typeof certs];
      return { starttls: true, name: h, ...(c ? { cert: c.cert, key: c.key } : {}), onMessage: (m) => got.set(h, [...(got.get(h) ?? []), m]) };
    });
    for (const s of sinks) cleanups.push(() => s.close());
    const web = await issue(ca, Object.keys(POLICIES).map((d) => `mta-sts.${d}`));
    policyServer = createServer({ cert: web.cert, key: web.key }, (req, res) => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '').replace(/^mta-sts\./, '');
      if (req.url !== '/.well-known/mta-sts.txt' || !POLICIES[host]) {
        res.writeHead(404).end();
        return;
      }
      fetches++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICIES[host]);
    });
    await new Promise<void>((r) => policyServer.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => policyServer.close(r)));
    const httpsPort = (policyServer.address() as { port: number }).port;
    smtpPort = await freePort();
    const zone = `
["enf.test"]
mx = ["10 backup.other.test", "20 mx1.enf.test"]
["_mta-sts.enf.test"]
txt = ["v=STSv1; id=20261202T1;"]
["mta-sts.enf.test"]
a = ["127.0.0.1"]
["mx1.enf.test"]
a = ["127.0.0.2"]
["backup.other.test"]
a = ["127.0.0.3"]
["mism.test"]
mx = ["10 mx.mism.test"]
["_mta-sts.mism.test"]
txt = ["v=STSv1; id=m1"]
["mta-sts.mism.test"]
a = ["127.0.0.1"]
["mx.mism.test"]
a = ["127.0.0.4"]
["testing.test"]
mx = ["10 mx.other-testing.test"]
["_mta-sts.testing.test"]
txt = ["v=STSv1; id=t1"]
["mta-sts.testing.test"]
a = ["127.0.0.1"]
["mx.other-testing.test"]
a = ["127.0.0.5"]
["plain.test"]
mx = ["10 backup.other.test"]
["seeded.test"]
mx = ["10 backup.other.test", "20 mx1.enf.test"]
["_mta-sts.seeded.test"]
txt = ["v=STSv1; id=new"]
["nofetch.test"]
mx = ["10 backup.other.test"]
["_mta-sts.nofetch.test"]
txt = ["v=STSv1; id=n1"]
["nomatch.test"]
mx = ["10 backup.other.test"]
["_mta-sts.nomatch.test"]
txt = ["v=STSv1; id=x1"]
["mta-sts.nomatch.test"]
a = ["127.0.0.1"]
["zero.test"]
mx = ["10 backup.other.test", "20 mx1.enf.test"]
["_mta-sts.zero.test"]
txt = ["v=STSv1; id=z1"]
["mta-sts.zero.test"]
a = ["127.0.0.1"]
`;
    lab = labConfig({ smtpPort, sinkPort: sinks[0].port, zone, main: `[tls_policy]\nca_file = "ca.pem"\nmta_sts_port = ${httpsPort}\n` });
    lab.write('config/ca.pem', ca.cert);
    // plain.test has no policy: its opportunistic TLS does not verify (the sinks' CA is trusted only for MTA-STS)
    lab.write('config/shaping.toml', '["plain.test"]\nenable_tls = "OpportunisticInsecure"\n["nofetch.test"]\nenable_tls = "OpportunisticInsecure"\n');
    // seeded.test: an enforce policy seen before (id "old"); its TXT now says id "new", whose
    // policy host has no address
    const now = Date.now();
    const seeded = { domain: 'seeded.test', id: 'old', fetchedAt: now, expiresAt: now + 86_400_000, policy: { mode: 'enforce', mx: ['mx1.enf.test'], maxAge: 86400, lines: ['version: STSv1', 'mode: enforce', 'mx: mx1.enf.test', 'max_age: 86400'] } };
    writeFileSync(join(lab.dir, 'mta-sts-cache.json'), JSON.stringify({ version: 1, policies: { 'seeded.test': seeded } }));
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop('SIGKILL'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const send = (to: string, seq: number) => inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(seq) }], 1);
  const arrived = (host: string, seq: number) => (got.get(host) ?? []).some((m) => seqOf(m.data) === seq);
  const records = () => readRecords(join(lab.dir, 'logs'));
  const logTail = () => kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');

  it('enforce: the preferred MX the policy does not list is never used; the listed one gets the mail over verified TLS', async () => {
    await send('a@enf.test', 1);
    await waitUntil(() => arrived('127.0.0.2', 1), 20_000, 'delivery to mx1.enf.test').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
    assert.equal(arrived('127.0.0.3', 1), false, 'backup.other.test is not in the policy');
    assert.equal(got.get('127.0.0.2')!.find((m) => seqOf(m.data) === 1)!.secure, true);
    // a domain without a policy on the same MX is not affected (per-domain decision)
    await send('b@plain.test', 2);
    await waitUntil(() => arrived('127.0.0.3', 2), 20_000, 'delivery to plain.test');
  });

  it('enforce: a certificate that does not name the MX → TransientFailure naming MTA-STS, nothing delivered', async () => {
    await send('c@mism.test', 3);
    await waitUntil(() => records().some((r) => r.type === 'TransientFailure' && r.recipient === 'c@mism.test'), 20_000, 'a TransientFailure for mism.test');
    const rec = records().find((r) => r.type === 'TransientFailure' && r.recipient === 'c@mism.test')!;
    assert.match(rec.response.content, /MTA-STS policy of mism\.test \(enforce\)/);
    assert.match(rec.response.content, /ALTNAME|not valid/i);
    assert.equal(arrived('127.0.0.4', 3), false);
  });

  it('testing: an MX outside the policy with an untrusted certificate still gets the mail', async () => {
    await send('d@testing.test', 4);
    await waitUntil(() => arrived('127.0.0.5', 4), 20_000, 'delivery under a testing policy').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
  });

  it('a new policy id whose policy cannot be fetched: the cached policy still holds (RFC 8461 §5.1)', async () => {
    await send('s@seeded.test', 6);
    await waitUntil(() => arrived('127.0.0.2', 6), 20_000, 'delivery to mx1.enf.test under the cached policy').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
    assert.equal(arrived('127.0.0.3', 6), false, 'without the cached policy the preferred backup.other.test would have been used');
  });

  it('a policy that cannot be fetched and none cached: delivered without a policy', async () => {
    await send('n@nofetch.test', 7);
    await waitUntil(() => arrived('127.0.0.3', 7), 20_000, 'delivery to backup.other.test').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
  });

  it('enforce: a policy listing none of the MX hosts → 4.7.5 TransientFailure naming MTA-STS, nothing delivered', async () => {
    await send('x@nomatch.test', 8);
    await waitUntil(() => records().some((r) => r.type === 'TransientFailure' && r.recipient === 'x@nomatch.test'), 20_000, 'a TransientFailure for nomatch.test');
    const rec = records().find((r) => r.type === 'TransientFailure' && r.recipient === 'x@nomatch.test')!;
    assert.deepEqual(rec.response.enhanced_code, { class: 4, subject: 7, detail: 5 });
    assert.match(rec.response.content, /MTA-STS policy of nomatch\.test \(enforce, id x1\): none of the MX hosts \(backup\.other\.test\) matches the policy's mx patterns \(mx\.elsewhere\.test\)/);
    assert.equal(arrived('127.0.0.3', 8), false);
  });

  it('a policy with max_age 0 still applies to the lookup that fetched it', async () => {
    await send('z@zero.test', 9);
    await waitUntil(() => arrived('127.0.0.2', 9), 20_000, 'delivery to mx1.enf.test').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
    assert.equal(arrived('127.0.0.3', 9), false, 'the policy dropped backup.other.test');
  });

  it('explain --live fetches a policy itself (leaving the server cache as it is) and shows what applies', async () => {
    const cache = readFileSync(join(lab.dir, 'mta-sts-cache.json'), 'utf8');
    // not spawnSync: the policy server runs in this process
    const r = await promisify(execFile)(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'zero.test', '--live', '--json', '-c', join(lab.dir, 'config')], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { tlsPolicy: { applies: string; hosts: string[]; mtaSts: { mode: string; source: string; maxAge: number } } };
    assert.equal(out.tlsPolicy.applies, 'mta-sts enforce');
    assert.deepEqual(out.tlsPolicy.hosts, ['mx1.enf.test']);
    assert.deepEqual([out.tlsPolicy.mtaSts.mode, out.tlsPolicy.mtaSts.source, out.tlsPolicy.mtaSts.maxAge], ['enforce', 'fetched', 0]);
    assert.equal(readFileSync(join(lab.dir, 'mta-sts-cache.json'), 'utf8'), cache);
  });

  it('the cached policy survives a restart while the policy server is down', async () => {
    const cache = join(lab.dir, 'mta-sts-cache.json');
    assert.ok(existsSync(cache), 'the policy cache is on disk');
    assert.ok(JSON.parse(readFileSync(cache, 'utf8')).policies['enf.test'], 'enf.test is cached');
    await kumo.stop('SIGTERM');
    await new Promise((r) => policyServer.close(r));
    policyServer.closeAllConnections();
    const before = fetches;
    kumo = await startLabServer(lab.dir);
    await send('e@enf.test', 5);
    await waitUntil(() => arrived('127.0.0.2', 5), 20_000, 'delivery to mx1.enf.test after the restart').catch((e: Error) => assert.fail(`${e.message}\n${logTail()}`));
    assert.equal(arrived('127.0.0.3', 5), false, 'without its policy the preferred backup.other.test would have been used');
    assert.equal(fetches, before, 'no fetch was possible');
  });
});
