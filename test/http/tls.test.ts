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
  tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n`
    + `[http.listener.secure]\nlisten = "127.0.0.1:${tlsPort}"\ntls = { certificate = "api.crt", private_key = "api.key" }\n`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  const agents: Agent[] = [];
  after(async () => {
    for (const a of agents) await a.close();
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 20_000, 'ready');
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
});
