// DANE (RFC 7672 §2.2) when DNSSEC does not give a usable answer, end to end: routes come from
// a static zone, the DNSSEC view from a validating unbound (tls_policy.dane_resolvers) in front
// of a signed zone in which some records were changed after signing (bogus). A bogus MX RRset or
// bogus TLSA records of every MX host are a 4.7.5 transient failure, never a downgrade; a host
// without TLSA records, or without a secure address, gets ordinary TLS.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, seqOf, waitUntil } from '../queue/lab.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';
import { startDnssecLab } from '../helpers/dnssec-lab.js';
import { requireTool } from '../require-tool.js';
import { tlsaAssociation } from '../../src/tls-policy/dane-verify.js';

const skip = requireTool('nsd') || requireTool('unbound') || requireTool('dnssec-signzone') || requireTool('dnssec-keygen');

describe('DANE with bogus or missing DNSSEC answers', { skip }, () => {
  const cleanups: (() => unknown)[] = [];
  const got = new Map<string, SinkMessage[]>();
  let kumo: ServerProcess;
  let smtpPort: number;
  let dir: string;

  before(async () => {
    const ca = await makeCa('DANE failure TA');
    const leaf = await issue(ca, ['mx-ok.dane.test']);
    const sinks: Sink[] = await sinksOnOnePort(['127.0.0.12', '127.0.0.13', '127.0.0.14'], (h) => ({
      ...leaf,
      starttls: true,
      name: h,
      onMessage: (m) => got.set(h, [...(got.get(h) ?? []), m]),
    }));
    for (const s of sinks) cleanups.push(() => s.close());
    const port = sinks[0].port;
    const ee = tlsaAssociation(new X509Certificate(leaf.leaf), 1, 1).toString('hex');
    const dns = await startDnssecLab('dane.test', [
      // the MX RRset of bmx is changed after signing
      'bmx IN MX 10 mx-ok.dane.test.',
      'mx-ok IN A 127.0.0.12',
      `_${port}._tcp.mx-ok IN TLSA 3 1 1 ${ee}`,
      // the TLSA RRset of mx-bt is changed after signing
      'btlsa IN MX 10 mx-bt.dane.test.',
      'mx-bt IN A 127.0.0.13',
      `_${port}._tcp.mx-bt IN TLSA 3 1 1 ${'a'.repeat(64)}`,
      // a secure host without TLSA records
      'notlsa IN MX 10 mx-nt.dane.test.',
      'mx-nt IN A 127.0.0.14',
      // a host the signed zone has no address for (the static zone has)
      'noaddr IN MX 10 mx-na.dane.test.',
    ], {
      tamper: (z) => z.replace(/^(bmx\.dane\.test\.\s+\d+\s+IN MX\s+)10 /m, '$120 ').replace(/A{28} \)/, `${'B'.repeat(28)} )`),
    });
    cleanups.push(() => dns.stop());
    smtpPort = await freePort();
    const zone = `
["bmx.dane.test"]
mx = ["10 mx-ok.dane.test"]
["mx-ok.dane.test"]
a = ["127.0.0.12"]
["btlsa.dane.test"]
mx = ["10 mx-bt.dane.test"]
["mx-bt.dane.test"]
a = ["127.0.0.13"]
["notlsa.dane.test"]
mx = ["10 mx-nt.dane.test"]
["mx-nt.dane.test"]
a = ["127.0.0.14"]
["noaddr.dane.test"]
mx = ["10 mx-na.dane.test"]
["mx-na.dane.test"]
a = ["127.0.0.14"]
`;
    const lab = labConfig({ smtpPort, sinkPort: port, zone, main: `[tls_policy]\ndane_resolvers = ["${dns.resolver}"]\n` });
    cleanups.push(lab.cleanup);
    dir = lab.dir;
    // without DANE the sinks' test CA is not trusted: opportunistic TLS without verification
    lab.write('config/shaping.toml', '["default"]\nenable_dane = true\nenable_tls = "OpportunisticInsecure"\n');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop('SIGKILL'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const send = (to: string, seq: number) => inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(seq) }], 1);
  const arrived = (host: string, seq: number) => (got.get(host) ?? []).find((m) => seqOf(m.data) === seq);
  const failure = (rcpt: string) => readRecords(join(dir, 'logs')).find((r) => r.type === 'TransientFailure' && r.recipient === rcpt);
  const tail = () => kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');
  const explain = (domain: string, json = true) => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', domain, '--live', ...(json ? ['--json'] : []), '-c', join(dir, 'config')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('a bogus MX RRset at the validating resolver → 4.7.5 TransientFailure naming DANE, nothing delivered', async () => {
    await send('a@bmx.dane.test', 1);
    await waitUntil(() => !!failure('a@bmx.dane.test') || !!arrived('127.0.0.12', 1), 30_000, 'an outcome').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    const f = failure('a@bmx.dane.test');
    assert.ok(f, 'not delivered');
    assert.deepEqual(f.response.enhanced_code, { class: 4, subject: 7, detail: 5 });
    assert.match(f.response.content, /DANE: DNSSEC lookup for bmx\.dane\.test failed: bmx\.dane\.test MX: SERVFAIL/);
    assert.equal(arrived('127.0.0.12', 1), undefined);
  });

  it('bogus TLSA records of every MX host → 4.7.5 TransientFailure naming the host, nothing delivered', async () => {
    await send('b@btlsa.dane.test', 2);
    await waitUntil(() => !!failure('b@btlsa.dane.test') || !!arrived('127.0.0.13', 2), 30_000, 'an outcome').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    const f = failure('b@btlsa.dane.test');
    assert.ok(f, 'not delivered');
    assert.deepEqual(f.response.enhanced_code, { class: 4, subject: 7, detail: 5 });
    assert.match(f.response.content, /DANE: the TLSA lookups of every MX host of btlsa\.dane\.test failed \(mx-bt\.dane\.test: _\d+\._tcp\.mx-bt\.dane\.test TLSA: SERVFAIL/);
    assert.equal(arrived('127.0.0.13', 2), undefined);
  });

  it('a secure host without TLSA records, and a host without a secure address: ordinary TLS, delivered', async () => {
    await send('c@notlsa.dane.test', 3);
    await send('d@noaddr.dane.test', 4);
    await waitUntil(() => !!arrived('127.0.0.14', 3) && !!arrived('127.0.0.14', 4), 30_000, 'both delivered').catch((e: Error) =>
      assert.fail(`${e.message}: ${JSON.stringify(failure('c@notlsa.dane.test')?.response ?? failure('d@noaddr.dane.test')?.response)}\n${tail()}`));
    const nt = JSON.parse(explain('notlsa.dane.test')) as { tlsPolicy: { applies: string; dane: { mxSecure: boolean; insecureHosts: string[] } } };
    assert.equal(nt.tlsPolicy.applies, 'none');
    assert.equal(nt.tlsPolicy.dane.mxSecure, true);
    assert.deepEqual(nt.tlsPolicy.dane.insecureHosts, ['mx-nt.dane.test']);
    const na = JSON.parse(explain('noaddr.dane.test')) as { tlsPolicy: { dane: { insecureHosts: string[] } } };
    assert.deepEqual(na.tlsPolicy.dane.insecureHosts, ['mx-na.dane.test']);
  });

  it('explain --live names the failed DNSSEC lookup, and a route that cannot be had', () => {
    const b = JSON.parse(explain('bmx.dane.test')) as { tlsPolicy: { applies: string; refusal: string; dane: { error: string } } };
    assert.equal(b.tlsPolicy.applies, 'none');
    assert.match(b.tlsPolicy.dane.error, /bmx\.dane\.test MX: SERVFAIL/);
    assert.match(b.tlsPolicy.refusal, /^DANE: DNSSEC lookup for bmx\.dane\.test failed/);
    assert.match(explain('bmx.dane.test', false), /dane: +lookup failed: bmx\.dane\.test MX: SERVFAIL/);
    const n = JSON.parse(explain('nowhere.dane.test')) as { tlsPolicy: { applies: string; refusal: string } };
    assert.equal(n.tlsPolicy.applies, 'none');
    assert.match(n.tlsPolicy.refusal, /^route: domain nowhere\.dane\.test does not exist \(NXDOMAIN\)/);
  });
});
