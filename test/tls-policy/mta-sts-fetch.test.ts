// Fetching an MTA-STS policy (RFC 8461 §3.3) from a real HTTPS server on loopback with a test CA,
// host names answered by a static zone: each way a fetch can fail gets its TLS-RPT result type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { fetchStsPolicy, resolverLookup, StsFetchError } from '../../src/tls-policy/mta-sts-fetch.js';
import type { FetchOptions } from '../../src/tls-policy/mta-sts-fetch.js';
import { issue, makeCa } from '../helpers/test-ca.js';
import type { Pem } from '../helpers/test-ca.js';

const GOOD = 'version: STSv1\nmode: enforce\nmx: mx.ok.test\nmax_age: 86400\n';
/** what each mta-sts.<domain> answers */
const ROUTES: Record<string, (res: import('node:http').ServerResponse) => void> = {
  'ok.test': (res) => res.writeHead(200).end(GOOD),
  'missing.test': (res) => res.writeHead(404).end(),
  'moved.test': (res) => res.writeHead(301, { location: 'https://mta-sts.ok.test/.well-known/mta-sts.txt' }).end(),
  'big.test': (res) => res.writeHead(200).end(GOOD + '#'.repeat(70_000)),
  'junk.test': (res) => res.writeHead(200).end('this is not a policy\n'),
  'slow.test': () => undefined, // never answers
};

let ca: Pem;
let server: Server;
let port: number;
const resolver = new StaticResolver({
  ...Object.fromEntries(Object.keys(ROUTES).map((d) => [`mta-sts.${d}`, { a: ['127.0.0.1'] }])),
  'mta-sts.noaddr.test': { fail: 'SERVFAIL' },
});
const opts = (o: Partial<FetchOptions> = {}): FetchOptions => ({ resolver, timeoutMs: 5_000, maxSize: 65_536, port, extraCa: ca.cert, ...o });

before(async () => {
  ca = await makeCa();
  const web = await issue(ca, Object.keys(ROUTES).map((d) => `mta-sts.${d}`));
  server = createServer({ cert: web.cert, key: web.key }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').replace(/^mta-sts\./, '');
    const route = req.url === '/.well-known/mta-sts.txt' ? ROUTES[host] : undefined;
    if (route) route(res);
    else res.writeHead(400).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

const fails = (code: StsFetchError['code'], re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StsFetchError, String(e));
  assert.equal(e.code, code);
  assert.match(e.message, re);
  return true;
};

test('a policy served with a 200 by a host with a trusted certificate is parsed', async () => {
  const p = await fetchStsPolicy('ok.test', opts());
  assert.equal(p.mode, 'enforce');
});

test('only a 200 is a policy: a 404 and a redirect are fetch errors (the redirect not followed)', async () => {
  await assert.rejects(fetchStsPolicy('missing.test', opts()), fails('sts-policy-fetch-error', /mta-sts\.missing\.test:\d+\/\.well-known\/mta-sts\.txt: HTTP 404/));
  await assert.rejects(fetchStsPolicy('moved.test', opts()), fails('sts-policy-fetch-error', /HTTP 301 \(only 200 is a policy; redirects are not followed\)/));
});

test('a body over max_size and a body that is no policy: sts-policy-invalid', async () => {
  await assert.rejects(fetchStsPolicy('big.test', opts()), fails('sts-policy-invalid', /policy larger than 65536 bytes/));
  await assert.rejects(fetchStsPolicy('junk.test', opts()), fails('sts-policy-invalid', /mta-sts\.junk\.test/));
});

test('a certificate from a CA that is not trusted: sts-webpki-invalid', async () => {
  await assert.rejects(fetchStsPolicy('ok.test', opts({ extraCa: undefined })), fails('sts-webpki-invalid', /mta-sts\.ok\.test/));
});

test('a policy host without an address, and one that never answers: sts-policy-fetch-error with the reason', async () => {
  await assert.rejects(fetchStsPolicy('noaddr.test', opts()), fails('sts-policy-fetch-error', /ENOTFOUND/));
  await assert.rejects(fetchStsPolicy('slow.test', opts({ timeoutMs: 500 })), fails('sts-policy-fetch-error', /timed out after 500 ms/));
});

test('the lookup function through our resolver: every address with {all: true}, the first one otherwise', async () => {
  const r = new StaticResolver({ 'two.test': { a: ['192.0.2.1'], aaaa: ['2001:db8::1'] } });
  const lookup = resolverLookup(r);
  const ask = (options: { all?: boolean }) =>
    new Promise<unknown[]>((resolve) => lookup('two.test', options as never, (...args: unknown[]) => resolve(args)));
  assert.deepEqual(await ask({ all: true }), [null, [{ address: '192.0.2.1', family: 4 }, { address: '2001:db8::1', family: 6 }]]);
  assert.deepEqual(await ask({}), [null, '192.0.2.1', 4]);
});
