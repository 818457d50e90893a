// The HTTP-01 responder's refusals, the certificate store's reading of a damaged file, the CA
// trust of the ACME client with an unreadable NODE_EXTRA_CA_CERTS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { acmeHttpsAgent } from '../../src/acme/acme-http.js';
import { readStoredCert } from '../../src/acme/cert-files.js';
import { ChallengeResponders } from '../../src/acme/challenge-responders.js';
import { createLogger } from '../../src/logging/logger.js';
import { generateSelfSigned } from '../../src/tls/self-signed.js';
import { freePort } from '../helpers/ports.js';
import { tempTree } from '../helpers/tmp.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTP-01: a known token is answered; an unknown or removed token, another path or method is 404 "no such challenge"', async () => {
  const lines: string[] = [];
  const r = new ChallengeResponders(createLogger({ out: (l) => lines.push(l) }));
  const port = await freePort();
  await r.reconcile({ host: '127.0.0.1', port });
  cleanups.push(() => r.close());
  await r.addHttpToken('tok-1', 'tok-1.thumbprint');
  assert.deepEqual(await get(port, '/.well-known/acme-challenge/tok-1'), { status: 200, body: 'tok-1.thumbprint' });
  assert.ok(lines.some((l) => JSON.parse(l).msg === 'acme: answered an HTTP-01 challenge'));
  for (const [path, method] of [['/.well-known/acme-challenge/tok-2', 'GET'], ['/.well-known/acme-challenge/tok-1', 'POST'], ['/tok-1', 'GET'], ['/', 'GET']])
    assert.deepEqual(await get(port, path, method), { status: 404, body: 'no such challenge\n' }, `${method} ${path}`);
  await r.removeHttpToken('tok-1');
  assert.deepEqual(await get(port, '/.well-known/acme-challenge/tok-1'), { status: 404, body: 'no such challenge\n' }, 'removed');
});

test('a certificate file whose PEM blocks are damaged reads as no certificate (so a new one is ordered)', async () => {
  const tree = tempTree();
  cleanups.push(tree.cleanup);
  const good = await generateSelfSigned('mx.files.test');
  const ok = tree.write('ok.pem', good.key + good.cert);
  assert.deepEqual((await readStoredCert(ok))?.names, ['mx.files.test'], 'the intact file reads');
  // a certificate block that is not DER, beside a real key
  const garbage = tree.write('garbage.pem', good.key + '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  assert.equal(await readStoredCert(garbage), undefined);
  // a real certificate beside a key block that is not a key
  const badKey = tree.write('bad-key.pem', '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' + good.cert);
  assert.equal(await readStoredCert(badKey), undefined);
  assert.equal(await readStoredCert(join(tree.dir, 'missing.pem')), undefined);
});

test('[acme] ca with an unreadable NODE_EXTRA_CA_CERTS: the agent still trusts the system roots and [acme] ca', async () => {
  const good = await generateSelfSigned('ca.edges.test');
  const before = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = '/nonexistent/kumo-ts-extra-ca.pem';
  try {
    const agent = acmeHttpsAgent(good.cert);
    assert.ok(agent, 'an agent');
    const ca = agent.options.ca as string[];
    assert.equal(ca[ca.length - 1], good.cert, '[acme] ca is trusted');
    assert.ok(ca.length > 1, 'and the system roots');
    agent.destroy();
  } finally {
    if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = before;
  }
  assert.equal(acmeHttpsAgent(undefined), undefined, 'no [acme] ca: the default agent');
});
