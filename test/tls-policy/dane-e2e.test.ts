// DANE (RFC 7672) end to end with real DNSSEC: a zone signed at test time, served by nsd and
// validated by unbound (test/helpers/dnssec-lab.ts); kumo-ts resolves everything through that
// unbound (dns.mode = "servers"), trusts its AD bit, and delivers to STARTTLS sinks on loopback.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freePort, inject, readRecords, sinksOnOnePort, startLabServer, tagged, seqOf, waitUntil } from '../queue/lab.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';
import { startDnssecLab } from '../helpers/dnssec-lab.js';
import type { DnssecLab } from '../helpers/dnssec-lab.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';
import { tlsaAssociation } from '../../src/tls-policy/dane-verify.js';

const skip = requireTool('nsd') || requireTool('unbound') || requireTool('dnssec-signzone') || requireTool('dnssec-keygen');

const spkiSha256 = (pem: string) => tlsaAssociation(new X509Certificate(pem), 1, 1).toString('hex');

describe('DANE with a DNSSEC-signed zone behind a validating resolver', { skip }, () => {
  const cleanups: (() => unknown)[] = [];
  const got = new Map<string, SinkMessage[]>();
  const connections = new Map<string, number>();
  let kumo: ServerProcess;
  let dns: DnssecLab;
  let smtpPort: number;
  let logs: string;
  let configDir: string;

  before(async () => {
    const ca = await makeCa('DANE test TA');
    const other = await makeCa('someone else');
    const ta = await issue(ca, ['mx-ta.dane.test']);
    const ee = await issue(other, ['not-even-the-right-name.example']);
    const bad = await issue(ca, ['mx-bad.dane.test']);
    // CNAME'd MX hosts: a certificate with the expanded name only, one with the MX host name only
    const expanded = await issue(ca, ['real-cn.dane.test']);
    const original = await issue(ca, ['mx-cn2.dane.test']);
    const opts: Record<string, { cert?: string; key?: string; starttls: boolean }> = {
      '127.0.0.12': { ...ta, starttls: true },
      '127.0.0.13': { ...ee, starttls: true },
      '127.0.0.14': { ...bad, starttls: true },
      '127.0.0.15': { starttls: false },
      '127.0.0.16': { ...expanded, starttls: true },
      '127.0.0.17': { ...original, starttls: true },
    };
    const sinks: Sink[] = await sinksOnOnePort(Object.keys(opts), (h) => ({
      ...opts[h],
      name: h,
      onMessage: (m) => got.set(h, [...(got.get(h) ?? []), m]),
    }));
    for (const s of sinks) cleanups.push(() => s.close());
    const port = sinks[0].port;
    dns = await startDnssecLab('dane.test', [
      'ta IN MX 10 mx-ta.dane.test.',
      'mx-ta IN A 127.0.0.12',
      `_${port}._tcp.mx-ta IN TLSA 2 1 1 ${spkiSha256(ca.cert)}`,
      'ee IN MX 10 mx-ee.dane.test.',
      'mx-ee IN A 127.0.0.13',
      // DANE-EE: the leaf's key only; its name and issuer do not matter (RFC 7672 §3.1.1)
      `_${port}._tcp.mx-ee IN TLSA 3 1 1 ${spkiSha256(ee.leaf)}`,
      'bad IN MX 10 mx-bad.dane.test.',
      'mx-bad IN A 127.0.0.14',
      `_${port}._tcp.mx-bad IN TLSA 3 1 1 ${spkiSha256(other.cert)}`,
      'plain IN MX 10 mx-plain.dane.test.',
      'mx-plain IN A 127.0.0.15',
      `_${port}._tcp.mx-plain IN TLSA 3 1 1 ${spkiSha256(ee.leaf)}`,
      // RFC 7672 §2.2.2: the TLSA records of a CNAME'd MX host at the expanded name...
      'cn IN MX 10 mx-cn.dane.test.',
      'mx-cn IN CNAME real-cn.dane.test.',
      'real-cn IN A 127.0.0.16',
      `_${port}._tcp.real-cn IN TLSA 2 1 1 ${spkiSha256(ca.cert)}`,
      // ...or, when there are none there, at the MX host name
      'cn2 IN MX 10 mx-cn2.dane.test.',
      'mx-cn2 IN CNAME real-cn2.dane.test.',
      'real-cn2 IN A 127.0.0.17',
      `_${port}._tcp.mx-cn2 IN TLSA 2 1 1 ${spkiSha256(ca.cert)}`,
      // a CNAME'd host whose TLSA record matches nothing (the sink of mx-bad)
      'cn3 IN MX 10 mx-cn3.dane.test.',
      'mx-cn3 IN CNAME real-cn3.dane.test.',
      'real-cn3 IN A 127.0.0.14',
      `_${port}._tcp.real-cn3 IN TLSA 3 1 1 ${spkiSha256(other.cert)}`,
    ]);
    cleanups.push(() => dns.stop());
    smtpPort = await freePort();
    const lab = tempTree();
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    configDir = join(lab.dir, 'config');
    lab.write('config/kumo.toml', `
hostname = "kumo.lab.test"
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
[http]
enabled = false
[spool]
path = ${JSON.stringify(join(lab.dir, 'spool'))}
[logs]
path = ${JSON.stringify(logs)}
compress = false
[dns]
mode = "servers"
name_servers = ["${dns.resolver}"]
allow_loopback_destinations = true
`);
    lab.write('config/sources.toml', `[source."unspecified"]\nremote_port = ${port}\n`);
    lab.write('config/queues.toml', '');
    lab.write('config/shaping.toml', '["default"]\nenable_dane = true\n');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop('SIGKILL'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const send = (to: string, seq: number) => inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(seq) }], 1);
  const arrived = (host: string, seq: number) => (got.get(host) ?? []).find((m) => seqOf(m.data) === seq);
  const failure = (rcpt: string) => readRecords(logs).find((r) => r.type === 'TransientFailure' && r.recipient === rcpt);
  const tail = () => `${kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`;

  it('TLSA 2 1 1 (the CA that signed the MX certificate) → delivered over TLS', async () => {
    await send('a@ta.dane.test', 1);
    await waitUntil(() => !!arrived('127.0.0.12', 1) || !!failure('a@ta.dane.test'), 30_000, 'an outcome').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    assert.ok(arrived('127.0.0.12', 1), `not delivered: ${JSON.stringify(failure('a@ta.dane.test')?.response)}`);
    assert.equal(arrived('127.0.0.12', 1)!.secure, true);
  });

  it('TLSA 3 1 1 (the leaf key; an unknown CA and another name) → delivered over TLS', async () => {
    await send('b@ee.dane.test', 2);
    await waitUntil(() => !!arrived('127.0.0.13', 2) || !!failure('b@ee.dane.test'), 30_000, 'an outcome');
    assert.ok(arrived('127.0.0.13', 2), `not delivered: ${JSON.stringify(failure('b@ee.dane.test')?.response)}`);
    assert.equal(arrived('127.0.0.13', 2)!.secure, true);
  });

  it('a TLSA record that matches nothing → not delivered, TransientFailure naming DANE', async () => {
    await send('c@bad.dane.test', 3);
    await waitUntil(() => !!failure('c@bad.dane.test'), 30_000, 'a TransientFailure');
    assert.match(failure('c@bad.dane.test')!.response.content, /DANE \(TLSA _\d+\._tcp\.mx-bad\.dane\.test\)/);
    assert.equal(arrived('127.0.0.14', 3), undefined);
  });

  it('a sink without STARTTLS behind a secure TLSA record → never plain text', async () => {
    await send('d@plain.dane.test', 4);
    await waitUntil(() => !!failure('d@plain.dane.test'), 30_000, 'a TransientFailure');
    assert.match(failure('d@plain.dane.test')!.response.content, /DANE/);
    assert.equal(arrived('127.0.0.15', 4), undefined, 'nothing went in plain text');
  });

  it('a CNAME\'d MX host: TLSA at the expanded name, DANE-TA accepts a certificate for the expanded name', async () => {
    await send('e@cn.dane.test', 5);
    await waitUntil(() => !!arrived('127.0.0.16', 5) || !!failure('e@cn.dane.test'), 30_000, 'an outcome').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    assert.ok(arrived('127.0.0.16', 5), `not delivered: ${JSON.stringify(failure('e@cn.dane.test')?.response)}`);
    // over TLS with a certificate of the test CA, which only the TLSA record makes trusted
    assert.equal(arrived('127.0.0.16', 5)!.secure, true);
  });

  it('a CNAME\'d MX host without TLSA at the expanded name: those of the MX host name apply (its name accepted too)', async () => {
    await send('f@cn2.dane.test', 6);
    await waitUntil(() => !!arrived('127.0.0.17', 6) || !!failure('f@cn2.dane.test'), 30_000, 'an outcome').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    assert.ok(arrived('127.0.0.17', 6), `not delivered: ${JSON.stringify(failure('f@cn2.dane.test')?.response)}`);
    assert.equal(arrived('127.0.0.17', 6)!.secure, true);
  });

  it('a CNAME\'d MX host whose TLSA record matches nothing → not delivered, TransientFailure naming DANE at the expanded name', async () => {
    const before = (got.get('127.0.0.14') ?? []).length;
    await send('g@cn3.dane.test', 7);
    await waitUntil(() => !!failure('g@cn3.dane.test'), 30_000, 'a TransientFailure');
    assert.match(failure('g@cn3.dane.test')!.response.content, /DANE \(TLSA _\d+\._tcp\.real-cn3\.dane\.test\)/);
    assert.equal((got.get('127.0.0.14') ?? []).length, before);
  });

  it('explain --live shows the DANE policy, its secure TLSA records and the MTA-STS state', () => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'ta.dane.test', '--live', '--json', '-c', configDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tlsPolicy: { applies: string; dane: { mxSecure: boolean; tlsa: Record<string, string[]> }; mtaSts: { enabled: boolean; mode?: string } } };
    assert.equal(out.tlsPolicy.applies, 'dane');
    assert.equal(out.tlsPolicy.dane.mxSecure, true);
    assert.match(out.tlsPolicy.dane.tlsa['mx-ta.dane.test'][0], /^2 1 1 [0-9a-f]{64}$/);
    assert.equal(out.tlsPolicy.mtaSts.enabled, true);
    assert.equal(out.tlsPolicy.mtaSts.mode, undefined);
    const text = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'ta.dane.test', '--live', '-c', configDir], { encoding: 'utf8' }).stdout;
    assert.match(text, /TLS policy \(live\):[\s\S]*dane: +MX records secure; TLSA mx-ta\.dane\.test \(secure\): 2 1 1 /);
    assert.match(text, /applies: +dane/);
    const cn = JSON.parse(spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'cn2.dane.test', '--live', '--json', '-c', configDir], { encoding: 'utf8' }).stdout) as { tlsPolicy: { dane: { aliases: Record<string, { expanded: string; base: string }> } } };
    assert.deepEqual(cn.tlsPolicy.dane.aliases, { 'mx-cn2.dane.test': { expanded: 'real-cn2.dane.test', base: 'mx-cn2.dane.test' } });
  });

  it('every query unbound sent upstream went to the lab nsd', () => {
    const log = dns.unboundLog();
    assert.doesNotMatch(log, /(?:^|\s)(?!127\.0\.0\.53)\d+\.\d+\.\d+\.\d+#53\b/m);
  });
});
