// DKIM signatures made by `kumo-ts serve` (RSA and Ed25519, relaxed and simple), checked by two
// verifiers that share no code with our signer's wiring: dkimpy (python3-dkim) and mailauth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, labConfig, startLabServer, waitUntil } from '../queue/lab.js';
import { requireTool } from '../require-tool.js';
import { ed25519TestKey, rsaTestKey } from '../dkim/helpers.js';
import { dkimpyVerify, haveDkimpy } from './dkimpy.js';

// python3-dkim ships dkimverify; the import check covers Ed25519 (python3-nacl)
const skip = requireTool('dkimverify') || (haveDkimpy() ? false : requireTool('python3-dkim (import dkim, nacl)'));

const DKIM_TOML = `
[base]
header_canonicalization = "relaxed"
body_canonicalization = "relaxed"
additional_signatures = ["ed"]

[domain."relaxed.example"]
selector = "rsa"
filename = "keys/rsa.pem"

[domain."simple.example"]
selector = "rsa"
filename = "keys/rsa.pem"
header_canonicalization = "simple"
body_canonicalization = "simple"

[signature.ed]
selector = "ed"
algo = "ed25519"
filename = "keys/ed.pem"
`;

/** A message whose canonical forms differ from its wire form: folded header, runs of spaces, trailing blanks. */
const message = (domain: string, tag: string) =>
  `From: Alice <alice@${domain}>\r\nTo: bob@dest.test\r\nSubject: DKIM   ${tag}\r\n  folded\r\n` +
  `Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <${tag}@${domain}>\r\nMIME-Version: 1.0\r\n` +
  `Content-Type: text/plain; charset=utf-8\r\n\r\nHello   world,  \r\n\r\nsecond line\t \r\n\r\n\r\n`;

describe('DKIM signatures of kumo-ts verified by dkimpy and mailauth', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  const records: Record<string, string> = {};
  let sink: Sink;
  let kumo: ServerProcess;
  let smtpPort: number;

  before(async () => {
    if (skip) return;
    const rsa = rsaTestKey();
    const ed = ed25519TestKey();
    for (const d of ['relaxed.example', 'simple.example']) {
      records[`rsa._domainkey.${d}`] = rsa.txt;
      records[`ed._domainkey.${d}`] = ed.txt;
    }
    sink = await startSink({ host: '127.0.0.1', onMessage: (m) => got.push(m) });
    cleanups.push(() => sink.close());
    smtpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: '', queues: `[queue."default"]\nmx_list = ["[127.0.0.1]:${sink.port}"]\n` });
    cleanups.push(lab.cleanup);
    lab.write('config/keys/rsa.pem', rsa.pem);
    lab.write('config/keys/ed.pem', ed.pem);
    lab.write('config/dkim.toml', DKIM_TOML);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
    const sent = await inject(smtpPort, [
      { from: 'alice@relaxed.example', to: ['bob@dest.test'], data: message('relaxed.example', 'relaxed') },
      { from: 'alice@simple.example', to: ['bob@dest.test'], data: message('simple.example', 'simple') },
    ], 1);
    assert.equal(sent.size, 2);
    await waitUntil(() => got.length >= 2, 30_000, 'both messages at the sink');
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const delivered = (domain: string) => {
    const m = got.find((g) => g.from === `alice@${domain}`);
    assert.ok(m, `the message from ${domain} was delivered`);
    return m.data;
  };

  const mailauth = async (msg: Buffer) => {
    const resolver = async (name: string, type: string) => {
      const txt = type === 'TXT' ? records[name.toLowerCase().replace(/\.$/, '')] : undefined;
      if (txt === undefined) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
      return [[txt]];
    };
    const res = await dkimVerify(msg, { resolver } as never);
    return (res.results ?? []).map((r) => {
      const x = r as unknown as { signingDomain: string; selector: string; algo: string; format: string; status: { result: string; comment?: string } };
      return [x.signingDomain, x.selector, x.algo, x.format, x.status.result, x.status.comment ?? ''];
    });
  };

  // the RSA signature follows the domain's canonicalization; the additional Ed25519 one the base
  for (const [domain, rsaCanon] of [['relaxed.example', 'relaxed/relaxed'], ['simple.example', 'simple/simple']] as const) {
    const expected = [
      [domain, 'ed', 'ed25519-sha256', 'relaxed/relaxed'],
      [domain, 'rsa', 'rsa-sha256', rsaCanon],
    ];
    test(`${domain} (RSA ${rsaCanon}): dkimpy verifies the RSA and the Ed25519 signature`, () => {
      const res = dkimpyVerify(delivered(domain), records);
      assert.deepEqual(res.map((r) => [r.d, r.s, r.a, r.c, r.ok, r.error]).sort(), expected.map((e) => [...e, true, null]));
    });

    test(`${domain} (RSA ${rsaCanon}): mailauth verifies the RSA and the Ed25519 signature`, async () => {
      const res = await mailauth(delivered(domain));
      assert.deepEqual(res.map((r) => r.slice(0, 5)).sort(), expected.map((e) => [...e, 'pass']));
    });
  }

  test('negative control: both verifiers reject a body changed after signing, and a key they were not given', async () => {
    const tampered = Buffer.from(delivered('relaxed.example').toString('latin1').replace('second line', 'second lime'), 'latin1');
    assert.deepEqual(dkimpyVerify(tampered, records).map((r) => r.ok), [false, false]);
    // mailauth calls a body hash mismatch "neutral"
    for (const r of await mailauth(tampered)) {
      assert.notEqual(r[4], 'pass');
      assert.match(r[5], /body hash/);
    }
    const otherKey = { ...records, 'ed._domainkey.relaxed.example': ed25519TestKey().txt };
    const res = dkimpyVerify(delivered('relaxed.example'), otherKey);
    assert.deepEqual(res.map((r) => [r.s, r.ok]).sort(), [['ed', false], ['rsa', true]]);
  });
});

