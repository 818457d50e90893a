import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';
import { makeCert } from '../smtp/helpers.js';

/** The SHA-256 fingerprint of the certificate a new TLS handshake with the port gets. */
function servedFingerprint(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

test('HTTPS listener: certificate from files, served by TLS, renewed live for the next handshake', async (t) => {
  const tree = tempTree();
  const [port, tlsPort] = await Promise.all([freePort(), freePort()]);
  const c1 = await makeCert('localhost', ['localhost', 'api.test']);
  const c2 = await makeCert('localhost', ['localhost', 'api.test']);
  tree.write('cfg/api.crt', c1.cert);
  tree.write('cfg/api.key', c1.key);
  tree.write('cfg/zone.toml', '');
  const main = (tls: string) => `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n`
    + `[http.listener.secure]\nlisten = "127.0.0.1:${tlsPort}"\n${tls}\n`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
  tree.write('cfg/kumo.toml', main('tls = { certificate = "api.crt", private_key = "api.key" }'));
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  const agents: Agent[] = [];
  after(async () => {
    for (const a of agents) await a.close();
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  const get = async (ca: string, path = '/api/config/status') => {
    const agent = new Agent({ connect: { ca, servername: 'localhost' } });
    agents.push(agent);
    const r = await request(`https://127.0.0.1:${tlsPort}${path}`, { dispatcher: agent, headers: { host: 'localhost' } });
    return { status: r.statusCode, body: await r.body.text() };
  };

  await t.test('the API is served over TLS with the configured certificate (and not in plain HTTP)', async () => {
    assert.equal(await servedFingerprint(tlsPort), c1.fingerprint256);
    const r = await get(c1.cert);
    assert.equal(r.status, 200, r.body);
    assert.equal(typeof JSON.parse(r.body).epoch, 'number');
    const plain = await fetch(`http://127.0.0.1:${tlsPort}/api/check-liveness/v1`).then((x) => x.status, () => 'refused');
    assert.notEqual(plain, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/check-liveness/v1`)).status, 200);
  });

  await t.test('replaced files: the next handshake gets the new certificate, without a restart', async () => {
    const mark = srv.lines.length;
    writeFileSync(join(tree.dir, 'cfg/api.key.new'), c2.key);
    writeFileSync(join(tree.dir, 'cfg/api.crt.new'), c2.cert);
    renameSync(join(tree.dir, 'cfg/api.key.new'), join(tree.dir, 'cfg/api.key'));
    renameSync(join(tree.dir, 'cfg/api.crt.new'), join(tree.dir, 'cfg/api.crt'));
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && /renewed certificate is live/.test(String(l.msg)), 10_000, 'renewal');
    assert.equal(await servedFingerprint(tlsPort), c2.fingerprint256);
    assert.equal(await servedFingerprint(tlsPort, 'api.test'), c2.fingerprint256);
    assert.equal((await get(c2.cert)).status, 200);
    await assert.rejects(get(c1.cert), /certificate|self.signed|verify/i);
  });

  await t.test('a broken replacement is refused; the current certificate keeps serving', async () => {
    const mark = srv.lines.length;
    writeFileSync(join(tree.dir, 'cfg/api.crt'), 'not a certificate\n');
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && /new certificate REJECTED/.test(String(l.msg)), 10_000, 'rejection');
    assert.equal(await servedFingerprint(tlsPort), c2.fingerprint256);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="secure"\} 1$/m);
  });

  let epoch = 1;
  const change = async (tls: string) => {
    epoch++;
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main(tls));
    await srv.waitFor((l) => l.msg === `config epoch ${epoch} live`, 10_000, `epoch ${epoch}`);
  };

  await t.test('the listener is pointed at other certificate files: the next handshake gets them, without a rebind', async () => {
    const c3 = await makeCert('localhost', ['localhost']);
    tree.write('cfg/other.crt', c3.cert);
    tree.write('cfg/other.key', c3.key);
    const mark = srv.lines.length;
    await change('tls = { certificate = "other.crt", private_key = "other.key" }');
    // the new files are read after the epoch goes live: wait for the store to say it serves them
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'listener http:secure TLS certificate: serving certificate' && l.sha256 === c3.fingerprint256, 10_000, 'the new certificate loaded');
    assert.equal(await servedFingerprint(tlsPort), c3.fingerprint256);
    assert.ok(!srv.lines.slice(mark).some((l) => l.msg === 'http listener secure closed'), 'not rebound');
    assert.equal((await get(c3.cert)).status, 200);
  });

  await t.test('pointed at files that do not load: an error naming the listener; the current certificate keeps serving', async () => {
    const before = await servedFingerprint(tlsPort);
    tree.write('cfg/broken.crt', 'not a certificate\n');
    const mark = srv.lines.length;
    await change('tls = { certificate = "broken.crt", private_key = "other.key" }');
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && /^http listener secure: new TLS certificate cannot be loaded; the current one keeps serving/.test(String(l.msg)), 10_000, 'the error');
    assert.equal(await servedFingerprint(tlsPort), before);
  });

  await t.test('TLS turned off live: the listener comes back in plain HTTP on its address', async () => {
    const mark = srv.lines.length;
    await change('');
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'http listener ready' && l.listener === 'secure', 10_000, 'rebound');
    assert.equal((await fetch(`http://127.0.0.1:${tlsPort}/api/check-liveness/v1`)).status, 200);
  });
});
