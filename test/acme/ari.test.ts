import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fetchDirectory } from '../../src/acme/acme-http.js';
import { ariCertId, timeInWindow } from '../../src/acme/ari.js';
import { parseStoredCert } from '../../src/acme/cert-files.js';
import type { StoredCert } from '../../src/acme/cert-files.js';
import { planRenewal, renewalTime } from '../../src/acme/renewal.js';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';

/**
 * ACME Renewal Information (RFC 9773). Debian's pebble 2.4 has no renewalInfo in its
 * directory, so a small local HTTP server answers like a CA with ARI. The certificate is made
 * with openssl to match the RFC's own example: authority key id 69:88:5B:..., serial
 * 0x87654321 → certID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE" (the serial's DER has a leading 00).
 */
const skip = requireTool('openssl');
const RFC_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

describe('ACME Renewal Information (RFC 9773)', { skip }, () => {
  let tree: ReturnType<typeof tempTree>;
  let stored: StoredCert;
  let server: Server;
  let base = '';
  const requests: string[] = [];
  let answer: { status: number; body: unknown; retryAfter?: string } = { status: 404, body: {} };
  let advertise = true;

  before(async () => {
    tree = tempTree({
      'ca.ext': 'basicConstraints=critical,CA:true\nsubjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4\n',
      'leaf.ext': 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:mx.ari.test\n',
    });
    const sh = (cmd: string) => {
      const r = spawnSync('sh', ['-c', cmd], { cwd: tree.dir, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    };
    sh('openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj /CN=ARI-Test-CA -out ca.csr');
    sh('openssl x509 -req -in ca.csr -signkey ca.key -days 30 -extfile ca.ext -out ca.pem');
    sh('openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -subj /CN=mx.ari.test -out leaf.csr');
    sh('openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x87654321 -days 30 -extfile leaf.ext -out leaf.pem');
    stored = parseStoredCert(readFileSync(join(tree.dir, 'leaf.key'), 'utf8') + readFileSync(join(tree.dir, 'leaf.pem'), 'utf8'))!;
    assert.ok(stored && !stored.placeholder);
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/html-dir') {
        // a proxy's error page where the directory should be
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
        return;
      }
      if (req.url === '/dir') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ newOrder: `${base}/order`, ...(advertise ? { renewalInfo: `${base}/ari` } : {}) }));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}) }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server?.close();
    tree?.cleanup();
  });

  test('certID: base64url(authority key id) "." base64url(DER serial), as in the RFC example', () => {
    assert.equal(ariCertId(new X509Certificate(readFileSync(join(tree.dir, 'leaf.pem')))), RFC_CERT_ID);
    assert.equal(stored.ariCertId, RFC_CERT_ID);
  });

  test('a random time inside the window (not the one-third rule); a past window means now', () => {
    assert.equal(timeInWindow({ start: 1000, end: 3000 }, 0, () => 0.25), 1500);
    assert.equal(timeInWindow({ start: 1000, end: 3000 }, 2000, () => 0.5), 2500, 'from now when the window has begun');
    assert.equal(timeInWindow({ start: 1000, end: 3000 }, 5000, () => 0.9), 5000);
  });

  test('planRenewal asks <renewalInfo>/<certID>, renews inside the suggested window, and asks again after Retry-After', async () => {
    const now = Date.now();
    const start = now + 3 * 86_400_000;
    const end = now + 4 * 86_400_000;
    answer = { status: 200, body: { suggestedWindow: { start: new Date(start).toISOString(), end: new Date(end).toISOString() }, explanationURL: 'https://ca.test/why' }, retryAfter: '7200' };
    requests.length = 0;
    const plan = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, undefined, now, () => 0.5);
    assert.deepEqual(requests, ['/dir', `/ari/${RFC_CERT_ID}`]);
    assert.equal(plan.source, 'ari');
    assert.equal(plan.at, start + (end - start) / 2);
    assert.notEqual(plan.at, renewalTime(stored, ['mx.ari.test'], 1 / 3, () => 0.5), 'not the lifetime rule');
    assert.equal(plan.recheckAt, now + 7_200_000);
    assert.equal(plan.window?.explanationUrl, 'https://ca.test/why');
    // before the recheck time: the plan is kept without asking
    requests.length = 0;
    assert.equal(await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, plan, now + 60_000, () => 0.9), plan);
    assert.deepEqual(requests, []);
    // at the recheck: the same window keeps the time drawn; a window moved earlier (say, a revocation coming) redraws it
    const same = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, plan, now + 7_300_000, () => 0.9);
    assert.equal(same.at, plan.at);
    answer = { status: 200, body: { suggestedWindow: { start: new Date(now - 3_600_000).toISOString(), end: new Date(now - 60_000).toISOString() } } };
    const urgent = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, same, now + 7_400_000_000, () => 0.9);
    assert.equal(urgent.at, now + 7_400_000_000, 'a window already past: renew now');
  });

  test('no renewalInfo in the directory, an ARI error, or a directory that is not JSON: the lifetime rule (an error asks again in an hour)', async () => {
    const now = Date.now();
    advertise = false;
    const plain = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, undefined, now, () => 0.5);
    assert.equal(plain.source, 'lifetime');
    assert.equal(plain.at, renewalTime(stored, ['mx.ari.test'], 1 / 3, () => 0.5));
    assert.equal(plain.recheckAt, undefined);
    advertise = true;
    answer = { status: 500, body: { type: 'urn:ietf:params:acme:error:serverInternal' } };
    const failed = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/dir`, undefined, now, () => 0.5);
    assert.equal(failed.source, 'lifetime');
    assert.equal(failed.recheckAt, now + 3_600_000);
    // a directory that is not JSON: an error naming the URL, the lifetime rule, asked again in an hour
    await assert.rejects(fetchDirectory(`${base}/html-dir`), (e: Error & { code?: string }) => e.code === 'ACME_HTTP' && e.message === `${base}/html-dir: HTTP 200, not JSON`);
    const noDir = await planRenewal(stored, ['mx.ari.test'], 1 / 3, `${base}/html-dir`, undefined, now, () => 0.5);
    assert.equal(noDir.source, 'lifetime');
    assert.equal(noDir.at, renewalTime(stored, ['mx.ari.test'], 1 / 3, () => 0.5));
    assert.equal(noDir.recheckAt, now + 3_600_000);
    // other names than the certificate's: due now, nothing asked
    requests.length = 0;
    assert.equal((await planRenewal(stored, ['other.ari.test'], 1 / 3, `${base}/dir`, undefined, now)).at, 0);
    assert.deepEqual(requests, []);
  });

  test('serve: a certificate on disk gets its renewal window from the CA, logged with the time drawn in it (no order yet)', { timeout: 90_000 }, async (t) => {
    const now = Date.now();
    const start = now + 3 * 86_400_000;
    const end = now + 4 * 86_400_000;
    answer = { status: 200, body: { suggestedWindow: { start: new Date(start).toISOString(), end: new Date(end).toISOString() }, explanationURL: 'https://ca.test/why' }, retryAfter: '7200' };
    advertise = true;
    const http01 = await freePort();
    tree.write('srv/data/acme/mx.pem', readFileSync(join(tree.dir, 'leaf.key'), 'utf8') + readFileSync(join(tree.dir, 'leaf.pem'), 'utf8'));
    tree.write('srv/zone.toml', '');
    tree.write('srv/kumo.toml', `hostname = "mx.ari.test"
[spool]
path = "${join(tree.dir, 'srv/data/spool')}"
[logs]
path = "${join(tree.dir, 'srv/data/logs')}"
[http]
enabled = false
[server]
smtp = false
[dns]
mode = "static"
zone_file = "zone.toml"
[acme]
directory = "${base}/dir"
http01_listen = "127.0.0.1:${http01}"
[acme.cert.mx]
names = ["mx.ari.test"]
`);
    const kumo = startKumo(['serve', '--config', join(tree.dir, 'srv')]);
    t.after(() => kumo.stop());
    const line = await kumo.waitFor((l) => l.msg === 'acme: renewal window for "mx" from the CA (ARI)', 60_000, 'the ARI window line');
    assert.equal(line.start, new Date(start).toISOString());
    assert.equal(line.end, new Date(end).toISOString());
    assert.equal(line.explanation, 'https://ca.test/why');
    const at = Date.parse(String(line.renew_at));
    assert.ok(at >= start && at <= end, `renew_at ${String(line.renew_at)} inside the window`);
    assert.ok(!kumo.lines.some((l) => l.msg === 'acme: ordering certificate "mx"'), 'not due: no order');
  });
});
