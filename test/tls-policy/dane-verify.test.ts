// RFC 7672 §3 certificate checks of verifyDane on certificate chains made here: the matching
// types a TLSA record may use, and each reason a DANE-TA match is refused (a chain that does not
// lead to the trust anchor, a leaf for another name, a leaf outside its validity period).
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { issue, makeCa } from '../helpers/test-ca.js';
import { tlsaAssociation, verifyDane } from '../../src/tls-policy/dane-verify.js';
import type { TlsaRecord } from '../../src/dns/resolver.js';

const x = (pem: string) => new X509Certificate(pem);
const rec = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRecord => ({ usage, selector, matchingType, data });

describe('verifyDane', () => {
  let ca: X509Certificate;
  let other: X509Certificate;
  let leaf: X509Certificate;
  let strayLeaf: X509Certificate;

  before(async () => {
    const caPem = await makeCa('TA');
    const otherPem = await makeCa('not the issuer');
    ca = x(caPem.cert);
    other = x(otherPem.cert);
    leaf = x((await issue(caPem, ['mx.dane.test'])).leaf);
    strayLeaf = x((await issue(otherPem, ['mx.dane.test'])).leaf);
  });

  it('matching type 0 (the full data) and 2 (SHA-512) of DANE-EE records match the leaf', () => {
    const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
    assert.deepEqual(tlsaAssociation(leaf, 0, 0), leaf.raw);
    assert.deepEqual(tlsaAssociation(leaf, 1, 2), createHash('sha512').update(spki).digest());
    assert.deepEqual(verifyDane([rec(3, 0, 0, leaf.raw)], [leaf], []), { ok: true, usage: 3 });
    assert.deepEqual(verifyDane([rec(3, 1, 2, createHash('sha512').update(spki).digest())], [leaf], []), { ok: true, usage: 3 });
    // the SHA-256 of the same data under matching type 2 is no match
    const r = verifyDane([rec(3, 1, 2, createHash('sha256').update(spki).digest())], [leaf], []);
    assert.deepEqual(r, { ok: false, reason: 'no TLSA record matches the certificate chain' });
  });

  it('DANE-TA: accepted when the anchor signed the leaf, the name matches and the dates are current', () => {
    assert.deepEqual(verifyDane([rec(2, 1, 1, tlsaAssociation(ca, 1, 1))], [leaf, ca], ['mx.dane.test']), { ok: true, usage: 2 });
  });

  it('DANE-TA: an anchor in the chain that did not sign the leaf is refused', () => {
    // a server sending its leaf with an unrelated certificate the TLSA record names
    const r = verifyDane([rec(2, 1, 1, tlsaAssociation(other, 1, 1))], [leaf, other], ['mx.dane.test']);
    assert.deepEqual(r, { ok: false, reason: 'the certificate chain does not lead to the TLSA trust anchor' });
    // a leaf of another CA presented with the trust anchor after it
    const r2 = verifyDane([rec(2, 1, 1, tlsaAssociation(ca, 1, 1))], [strayLeaf, ca], ['mx.dane.test']);
    assert.equal(r2.ok, false);
  });

  it('DANE-TA: a leaf naming none of the MX host names is refused, naming them', () => {
    const r = verifyDane([rec(2, 1, 1, tlsaAssociation(ca, 1, 1))], [leaf, ca], ['mx2.dane.test', 'real.dane.test']);
    assert.deepEqual(r, { ok: false, reason: 'the certificate names none of mx2.dane.test, real.dane.test (DANE-TA name check)' });
  });

  it('DANE-TA: a leaf outside its validity period is refused; DANE-EE does not check dates', () => {
    const later = new Date(Date.now() + 365 * 86_400_000);
    const r = verifyDane([rec(2, 1, 1, tlsaAssociation(ca, 1, 1))], [leaf, ca], ['mx.dane.test'], later);
    assert.deepEqual(r, { ok: false, reason: 'the certificate is outside its validity period (DANE-TA)' });
    const earlier = new Date(Date.now() - 365 * 86_400_000);
    assert.equal(verifyDane([rec(2, 1, 1, tlsaAssociation(ca, 1, 1))], [leaf, ca], ['mx.dane.test'], earlier).ok, false);
    assert.deepEqual(verifyDane([rec(3, 1, 1, tlsaAssociation(leaf, 1, 1))], [leaf, ca], [], later), { ok: true, usage: 3 });
  });

  it('no certificate, or only unusable records (PKIX-TA/EE usages): no match', () => {
    assert.deepEqual(verifyDane([rec(3, 1, 1, tlsaAssociation(leaf, 1, 1))], [], []), { ok: false, reason: 'the server presented no certificate' });
    assert.equal(verifyDane([rec(1, 1, 1, tlsaAssociation(leaf, 1, 1)), rec(0, 1, 1, tlsaAssociation(ca, 1, 1))], [leaf, ca], ['mx.dane.test']).ok, false);
  });
});
