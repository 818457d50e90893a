import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';
import { run, servedCert, startPebbleLab, waitUntil } from './pebble-lab.js';
import type { PebbleLab } from './pebble-lab.js';

/**
 * kumo-ts's own ACME client against Debian's pebble (RFC 8555 test CA) with pebble-challtestsrv
 * as pebble's DNS (every name → 127.0.0.1): certificates obtained over HTTP-01 and TLS-ALPN-01,
 * served by the SMTP listeners, renewed on their own (pebble issues 40-second certificates here)
 * while mail keeps flowing, and kept serving while pebble is down. ACME_TEST_LOG=file keeps
 * kumo-ts's log for a look after a failure.
 */
const skip = requireTool('pebble') || requireTool('pebble-challtestsrv') || requireTool('openssl') || requireTool('swaks') || requireTool('curl');

/** kumo-ts's /metrics, as { 'name{labels}': value } */
async function metrics(port: number): Promise<Record<string, number>> {
  const r = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/metrics`], 15_000);
  assert.equal(r.status, 0, r.out);
  const out: Record<string, number> = {};
  for (const line of r.out.split('\n')) {
    const m = /^(kumo_ts_acme_[a-z_]+\{[^}]*\}) (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('ACME (RFC 8555) against pebble', { skip, timeout: 420_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  let lab: PebbleLab;
  let kumo: ServerProcess | undefined;
  const ports: Record<string, number> = {};

  before(async () => {
    ({ dir, cleanup } = tempTree({}));
    for (const k of ['smtp', 'smtps', 'http', 'https']) ports[k] = await freePort();
    lab = await startPebbleLab(dir, { validitySeconds: 40 });
    writeFileSync(join(dir, 'kumo.toml'), `
hostname = "mx.kumo.test"
[listener.smtp]
listen = "127.0.0.1:${ports.smtp}"
[listener.smtp.tls]
certificate = { acme = "mx" }
[listener.smtps]
listen = "127.0.0.1:${ports.smtps}"
[listener.smtps.tls]
implicit = true
certificate = { acme = "alt" }
[spool]
path = "${join(dir, 'data', 'spool')}"
[logs]
path = "${join(dir, 'data', 'logs')}"
[http]
listen = "127.0.0.1:${ports.http}"
[http.listener.secure]
listen = "127.0.0.1:${ports.https}"
tls = { certificate = { acme = "mx" } }
allowed_hostnames = ["mx.kumo.test"]
[dns]
mode = "static"
zone_file = "zone.toml"
[acme]
directory = "${lab.directory}"
contact = "mailto:postmaster@kumo.test"
ca = "pebble-cert.pem"
http01_listen = "127.0.0.1:${lab.http01Port}"
tls_alpn01_listen = "127.0.0.1:${lab.tlsAlpnPort}"
renew_before = 0.5
retry_interval = "1s"
max_retry_interval = "2s"
expiry_warning = "15s"
[acme.cert.mx]
names = ["mx.kumo.test"]
[acme.cert.alt]
names = ["alt.kumo.test"]
challenge = "tls-alpn-01"
key_type = "rsa"
`);
    writeFileSync(join(dir, 'zone.toml'), '["dest.test"]\nmx = ["10 mx.dest.test"]\n["mx.dest.test"]\na = ["127.0.0.1"]\n');
    kumo = startKumo(['serve', '--config', dir]);
    await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 30_000, 'kumo-ts ready');
  });

  after(async () => {
    if (process.env.ACME_TEST_LOG) writeFileSync(process.env.ACME_TEST_LOG, (kumo?.lines ?? []).map((l) => JSON.stringify(l)).join('\n'));
    await kumo?.stop();
    await lab?.close();
    cleanup?.();
  });

  test('starts with no certificate, obtains one over HTTP-01 and one over TLS-ALPN-01; openssl s_client -starttls smtp shows it', async () => {
    assert.ok(kumo!.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('serving a self-signed placeholder')), 'placeholder at first start');
    await kumo!.waitFor((l) => l.msg === 'acme: certificate "mx" issued', 60_000, 'mx issued');
    await kumo!.waitFor((l) => l.msg === 'acme: certificate "alt" issued', 60_000, 'alt issued');
    assert.ok(kumo!.lines.some((l) => l.msg === 'acme: answering a TLS-ALPN-01 challenge' && l.name === 'alt.kumo.test'), 'TLS-ALPN-01 answered');
    assert.ok(kumo!.lines.some((l) => l.msg === 'acme: answered an HTTP-01 challenge'), 'HTTP-01 answered');
    // the listener reloads the new file within a couple of seconds
    await waitUntil('the smtp listener to serve the issued certificate', async () => /Pebble/i.test((await servedCert(ports.smtp, 'mx.kumo.test', true)).issuer), 15_000);
    const s = spawnSync('sh', ['-c', `openssl s_client -starttls smtp -connect 127.0.0.1:${ports.smtp} -servername mx.kumo.test </dev/null 2>/dev/null | openssl x509 -noout -issuer -ext subjectAltName`], { encoding: 'utf8', timeout: 20_000 });
    assert.match(s.stdout, /issuer=.*Pebble Intermediate CA/i, s.stdout + s.stderr);
    assert.match(s.stdout, /DNS:mx\.kumo\.test/);
    await waitUntil('the implicit-TLS listener to serve the TLS-ALPN-01 certificate', async () => {
      const c = await servedCert(ports.smtps, 'alt.kumo.test', false);
      return /Pebble/i.test(c.issuer) && /DNS:alt\.kumo\.test/.test(c.subjectAltName ?? '');
    }, 15_000);
    // an HTTP listener serves the same ACME certificate; curl verifies it against pebble's root
    const root = await run('curl', ['-sSk', '--max-time', '10', `https://127.0.0.1:${lab.mgmtPort}/roots/0`]);
    assert.match(root.out, /BEGIN CERTIFICATE/);
    writeFileSync(join(dir, 'pebble-root.pem'), root.out);
    await waitUntil('the HTTPS listener to serve the issued certificate', async () => /Pebble/i.test((await servedCert(ports.https, 'mx.kumo.test', false)).issuer), 15_000);
    const https = await run('curl', ['-sS', '--max-time', '10', '--cacert', join(dir, 'pebble-root.pem'), '--resolve', `mx.kumo.test:${ports.https}:127.0.0.1`,
      `https://mx.kumo.test:${ports.https}/api/check-liveness/v1`, '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}']);
    assert.equal(https.out.trim(), '200 0', https.out);
    // the account key was created, private
    const key = readFileSync(join(dir, 'data', 'acme', 'account.key'), 'utf8');
    assert.match(key, /PRIVATE KEY/);
    assert.equal(statSync(join(dir, 'data', 'acme', 'account.key')).mode & 0o777, 0o600);
    // metrics: when mx renews next (in the future), and its expiry (the served certificate's)
    const served = await servedCert(ports.smtp, 'mx.kumo.test', true);
    const m = await metrics(ports.http);
    const now = Date.now() / 1000;
    const next = m['kumo_ts_acme_next_renewal_timestamp_seconds{cert="mx"}'];
    // renew_before = 0.5: about halfway through the served certificate's life
    assert.ok(next !== undefined && next > Date.parse(served.validFrom) / 1000 && next < Date.parse(served.validTo) / 1000, `next renewal ${next} (now ${now}) ${JSON.stringify(m)}`);
    assert.equal(m['kumo_ts_acme_certificate_expiry_timestamp_seconds{cert="mx"}'], Date.parse(served.validTo) / 1000);
    assert.equal(m['kumo_ts_acme_last_failure_timestamp_seconds{cert="mx"}'], 0);
    assert.ok((m['kumo_ts_acme_orders_total{cert="mx",outcome="issued"}'] ?? 0) >= 1);
  });

  test('renews on its own while a swaks loop keeps sending over STARTTLS: no session fails, the served certificate changes', async () => {
    const first = (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256;
    const issuedBefore = kumo!.lines.filter((l) => l.msg === 'acme: certificate "mx" issued').length;
    let sent = 0;
    const failures: string[] = [];
    let changed = false;
    let stop = false;
    const loop = (async () => {
      while (!stop && failures.length < 3) {
        const r = await run('swaks', ['--server', `127.0.0.1:${ports.smtp}`, '--tls', '--from', 'a@kumo.test', '--to', 'b@dest.test', '--h-Subject', `renewal ${sent}`, '--timeout', '20']);
        if (r.status !== 0) failures.push(`swaks exit ${r.status}: ${r.out.slice(-400)}`);
        sent++;
      }
    })();
    try {
      await waitUntil('a renewed certificate to be served', async () => {
        changed = (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256 !== first;
        return changed;
      }, 90_000);
    } finally {
      stop = true;
      await loop;
    }
    assert.ok(kumo!.lines.filter((l) => l.msg === 'acme: certificate "mx" issued').length > issuedBefore, 'a renewal order ran');
    assert.ok(sent >= 2, `swaks sessions during the renewal: ${sent}`);
    assert.deepEqual(failures, []);
  });

  test('pebble down during renewal: the old certificate keeps serving, retries are logged (with a warning inside expiry_warning), metrics show the failures, and it renews once pebble is back', async () => {
    await lab.stopPebble();
    const isFailure = (l: Record<string, unknown>) => l.msg === 'acme: ordering certificate "mx" failed; the certificate in place keeps serving';
    const isExpiryWarning = (l: Record<string, unknown>) => typeof l.msg === 'string' && /^acme: certificate "mx" (expires|EXPIRED) .* and its renewal keeps failing$/.test(l.msg);
    const from = kumo!.lines.length;
    const since = () => kumo!.lines.slice(from);
    const served = (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256;
    await waitUntil('an expiry warning after failed renewal attempts', () => since().filter(isFailure).length >= 2 && since().some(isExpiryWarning), 90_000);
    assert.equal((await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256, served, 'the certificate in place keeps serving');
    const failures = since().filter(isFailure);
    assert.ok(failures.every((l) => l.level === 'warn' && /ECONNREFUSED|no answer/.test(String(l.error))), JSON.stringify(failures));
    // the warning only inside the window (15 s before expiry)
    for (const w of since().filter(isExpiryWarning)) assert.ok(Number(w.expires_in_s) <= 15 && w.level === 'warn', JSON.stringify(w));
    const m = await metrics(ports.http);
    assert.ok(m['kumo_ts_acme_last_failure_timestamp_seconds{cert="mx"}']! > Date.now() / 1000 - 60, JSON.stringify(m));
    assert.ok(m['kumo_ts_acme_consecutive_failures{cert="mx"}']! >= 2, JSON.stringify(m));
    assert.ok(m['kumo_ts_acme_orders_total{cert="mx",outcome="failed"}']! >= 2, JSON.stringify(m));
    const issuedBefore = kumo!.lines.filter((l) => l.msg === 'acme: certificate "mx" issued').length;
    await lab.startPebble();
    await kumo!.waitFor((l) => l.msg === 'acme: certificate "mx" issued' && kumo!.lines.filter((x) => x.msg === l.msg).length > issuedBefore, 60_000, 'mx renewed after pebble is back');
    await waitUntil('the renewed certificate to be served', async () => (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256 !== served, 15_000);
    assert.equal((await metrics(ports.http))['kumo_ts_acme_consecutive_failures{cert="mx"}'], 0);
  });
});
