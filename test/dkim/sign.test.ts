import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signAtReception } from '../../src/dkim/sign.js';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { ed25519TestKey, message, rsaTestKey, snapshotWith, tempDir, write } from './helpers.js';
import type { TestKey } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const root = () => join(tmp.dir, `c${n++}`);

let rsa: TestKey;
let ed: TestKey;
let resolver: StaticResolver;
before(() => {
  rsa = rsaTestKey();
  ed = ed25519TestKey();
  resolver = new StaticResolver({
    'rsa._domainkey.example.com': { txt: [rsa.txt] },
    'ed._domainkey.example.com': { txt: [ed.txt] },
    'esp._domainkey.esp.example.net': { txt: [rsa.txt] },
    'rsa._domainkey.sub.example.org': { txt: [rsa.txt] },
  });
});

/** A config root with both keys as files and `dkim` as dkim.toml. */
async function setup(dkim: string) {
  const dir = root();
  write(dir, 'keys/rsa.pem', rsa.pem);
  write(dir, 'keys/ed.pem', ed.pem);
  return snapshotWith(dir, { 'dkim.toml': dkim });
}

async function signAndVerify(dkim: string, msg = message()) {
  const snap = await setup(dkim);
  const out = await signAtReception(snap, msg);
  assert.equal(out.action, 'signed', JSON.stringify(out));
  const headers = out.action === 'signed' ? out.headers : '';
  assert.match(headers, /\r\n$/);
  const signed = Buffer.concat([Buffer.from(headers), msg]);
  return { headers, signed, results: await verifyDkim(signed, resolver) };
}

describe('DKIM signing at reception', () => {
  for (const canon of ['relaxed', 'simple'] as const) {
    it(`RSA + Ed25519 dual signing verifies with ${canon} canonicalization`, async () => {
      const { headers, results } = await signAndVerify(`
[base]
header_canonicalization = "${canon}"
body_canonicalization = "${canon}"
additional_signatures = ["ed"]

[domain."example.com"]
selector = "rsa"
filename = "keys/rsa.pem"

[signature.ed]
selector = "ed"
algo = "ed25519"
key = "keys/ed.pem"
`);
      assert.equal(headers.match(/^DKIM-Signature:/gm)?.length, 2);
      assert.deepEqual(results.map((r) => [r.domain, r.selector, r.algorithm, r.canonicalization, r.result]), [
        ['example.com', 'rsa', 'rsa-sha256', `${canon}/${canon}`, 'pass'],
        ['example.com', 'ed', 'ed25519-sha256', `${canon}/${canon}`, 'pass'],
      ]);
    });
  }

  it('a modified body or header fails verification (the check is real)', async () => {
    const { signed } = await signAndVerify(`[domain."example.com"]\nselector = "rsa"\nfilename = "keys/rsa.pem"\n`);
    const tampered = Buffer.from(signed.toString().replace('second line', 'second lime'));
    assert.notEqual((await verifyDkim(tampered, resolver))[0].result, 'pass'); // mailauth: body hash mismatch is "neutral"
    const tampered2 = Buffer.from(signed.toString().replace('Subject: Hello', 'Subject: Jello'));
    assert.equal((await verifyDkim(tampered2, resolver))[0].result, 'fail');
  });

  it('signs the configured headers, over-signs them, and sets x= from expiration', async () => {
    const { headers, signed, results } = await signAndVerify(`
[base]
expiration = "1h"
[domain."example.com"]
selector = "ed"
algo = "ed25519"
filename = "keys/ed.pem"
headers = ["From", "Subject", "Reply-To"]
over_sign = true
`);
    assert.equal(results[0].result, 'pass');
    // From and Subject are present (signed once, then once more); Reply-To only over-signed
    const h = /\bh=([^;]+);/.exec(headers.replace(/\r\n\s+/g, ' '))![1];
    assert.deepEqual(h.split(':').map((x) => x.trim().toLowerCase()), ['subject', 'from', 'from', 'subject', 'reply-to']);
    const t = Number(/\bt=(\d+)/.exec(headers)![1]);
    const x = Number(/\bx=(\d+)/.exec(headers)![1]);
    assert.equal(x - t, 3600);
    // an added Reply-To (over-signed) breaks the signature
    const added = Buffer.from(signed.toString().replace('To: bob', 'Reply-To: evil@example.net\r\nTo: bob'));
    assert.equal((await verifyDkim(added, resolver))[0].result, 'fail');
  });

  it('chooses the block by the From domain, wildcards included; no match is unsigned', async () => {
    const dkim = `[domain."*.example.org"]\nselector = "rsa"\nfilename = "keys/rsa.pem"\n`;
    const { results } = await signAndVerify(dkim, message('"Weird, <name>@x" <a@Sub.Example.ORG>'));
    assert.deepEqual(results.map((r) => [r.domain, r.result]), [['sub.example.org', 'pass']]);
    const snap = await setup(dkim);
    assert.deepEqual(await signAtReception(snap, message('b@example.org')), { action: 'unsigned' });
    assert.deepEqual(await signAtReception(snap, message('b@other.example')), { action: 'unsigned' });
    assert.deepEqual(await signAtReception(snap, Buffer.from('Subject: no from\r\n\r\nbody\r\n')), { action: 'unsigned' });
  });

  it('signature policies: Always adds an ESP signature, OnlyIfMissingDomainBlock only as a fallback', async () => {
    const dkim = `
[base]
additional_signatures = ["esp", "fallback"]
[domain."example.com"]
selector = "rsa"
filename = "keys/rsa.pem"
[signature.esp]
domain = "esp.example.net"
selector = "esp"
filename = "keys/rsa.pem"
[signature.fallback]
policy = "OnlyIfMissingDomainBlock"
selector = "rsa"
filename = "keys/rsa.pem"
`;
    const a = await signAndVerify(dkim);
    assert.deepEqual(a.results.map((r) => [r.domain, r.result]), [['example.com', 'pass'], ['esp.example.net', 'pass']]);
    // no domain block for sub.example.org: the ESP signature plus the fallback (d = From domain)
    const b = await signAndVerify(dkim, message('x@sub.example.org'));
    assert.deepEqual(b.results.map((r) => [r.domain, r.result]), [['esp.example.net', 'pass'], ['sub.example.org', 'pass']]);
  });

  it('a signature without domain and policy Always only doubles up domains that have a block', async () => {
    const snap = await setup(`
[base]
additional_signatures = ["ed"]
[domain."example.com"]
selector = "rsa"
filename = "keys/rsa.pem"
[signature.ed]
selector = "ed"
algo = "ed25519"
filename = "keys/ed.pem"
`);
    const out = await signAtReception(snap, message('x@example.com'));
    assert.equal(out.action === 'signed' && out.headers.match(/^DKIM-Signature:/gm)?.length, 2);
    assert.deepEqual(await signAtReception(snap, message('x@unconfigured.example')), { action: 'unsigned' });
  });

  it('a key that cannot be loaded defers with a clear reason; SendUnsigned skips that signature', async () => {
    const snap = await setup(`[domain."example.com"]\nselector = "rsa"\nfilename = "keys/missing.pem"\n`);
    const out = await signAtReception(snap, message());
    assert.equal(out.action, 'defer');
    assert.match(out.action === 'defer' ? out.reason : '', /DKIM key for d=example\.com s=rsa \(\S*dkim\.toml domain\."example\.com"\) cannot be used: file .*keys\/missing\.pem: cannot read the key: no such file \[key\.file\]/);

    const soft = await setup(`
[base]
additional_signatures = ["ed"]
[domain."example.com"]
selector = "rsa"
filename = "keys/missing.pem"
on_key_error = "SendUnsigned"
[signature.ed]
selector = "ed"
algo = "ed25519"
filename = "keys/ed.pem"
`);
    const out2 = await signAtReception(soft, message());
    assert.equal(out2.action, 'signed');
    assert.equal(out2.action === 'signed' && out2.skipped?.length, 1);
    assert.equal(out2.action === 'signed' && out2.headers.match(/^DKIM-Signature:/gm)?.length, 1);
  });

  it('a key of the wrong type for algo, or garbage, counts as unusable', async () => {
    const snap = await setup(`[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "keys/rsa.pem"\n`);
    const out = await signAtReception(snap, message());
    assert.equal(out.action, 'defer');
    assert.match(out.action === 'defer' ? out.reason : '', /the key is rsa, but ed25519-sha256 needs an ed25519 key/);
    const dir = root();
    write(dir, 'bad.pem', 'not a key\n');
    const snap2 = await snapshotWith(dir, { 'dkim.toml': `[domain."example.com"]\nselector = "rsa"\nfilename = "bad.pem"\n` });
    const out2 = await signAtReception(snap2, message());
    assert.match(out2.action === 'defer' ? out2.reason : '', /not a usable private key/);
  });

  it('a rotated key file is used by the next message', async () => {
    const dir = root();
    const other = ed25519TestKey();
    write(dir, 'k.pem', ed.pem);
    const snap = await snapshotWith(dir, { 'dkim.toml': `[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "k.pem"\n` });
    const sign = async () => {
      const out = await signAtReception(snap, message());
      return (await verifyDkim(Buffer.concat([Buffer.from(out.action === 'signed' ? out.headers : ''), message()]), resolver))[0].result;
    };
    assert.equal(await sign(), 'pass');
    write(dir, 'k.pem', other.pem);
    assert.equal(await sign(), 'fail', 'signed with the new key, which DNS does not publish');
  });

  it('handles a bare-LF message and a message without a body', async () => {
    const lf = Buffer.from(message().toString().replace(/\r\n/g, '\n'));
    const a = await signAndVerify(`[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "keys/ed.pem"\n`, lf);
    assert.equal(a.results[0].result, 'pass');
    const b = await signAndVerify(`[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "keys/ed.pem"\n`, Buffer.from('From: a@example.com\r\nSubject: x\r\n\r\n'));
    assert.equal(b.results[0].result, 'pass');
  });
  it('a raw 32-byte Ed25519 seed in base64 (as some tools print) is a usable key', async () => {
    const dir = root();
    const seed = ed.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    write(dir, 'seed.key', seed.toString('base64') + '\n');
    const snap = await snapshotWith(dir, { 'dkim.toml': `[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "seed.key"\n` });
    const out = await signAtReception(snap, message());
    assert.equal(out.action, 'signed', JSON.stringify(out));
    const res = await verifyDkim(Buffer.concat([Buffer.from(out.action === 'signed' ? out.headers : ''), message()]), resolver);
    assert.deepEqual(res.map((r) => r.result), ['pass'], 'the published Ed25519 record verifies it: the same key');
  });

  it('a message that starts with an empty line has no header: its From line is body, nothing is signed', async () => {
    const snap = await setup(`[domain."example.com"]\nselector = "ed"\nalgo = "ed25519"\nfilename = "keys/ed.pem"\n`);
    for (const eol of ['\r\n', '\n']) {
      const out = await signAtReception(snap, Buffer.from(`${eol}From: alice@example.com${eol}Subject: x${eol}${eol}body${eol}`));
      assert.equal(out.action, 'unsigned', JSON.stringify(out));
    }
  });

  it('verification: a selector not in DNS is neutral "no key" (NXDOMAIN reaches mailauth as ENOTFOUND), not a temporary error', async () => {
    const snap = await setup(`[domain."example.com"]\nselector = "gone"\nalgo = "ed25519"\nfilename = "keys/ed.pem"\n`);
    const out = await signAtReception(snap, message());
    assert.equal(out.action, 'signed');
    const res = await verifyDkim(Buffer.concat([Buffer.from(out.action === 'signed' ? out.headers : ''), message()]), resolver);
    assert.equal(res.length, 1);
    assert.deepEqual([res[0].result, res[0].comment], ['neutral', 'no key'], JSON.stringify(res));
  });
});
