import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { generateSelfSigned } from '../../src/tls/self-signed.js';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';

/**
 * kumo-ts's own ACME client against Debian's pebble (RFC 8555 test CA) with pebble-challtestsrv
 * as pebble's DNS (every name → 127.0.0.1): certificates obtained over HTTP-01 and TLS-ALPN-01,
 * served by the SMTP listeners, renewed on their own (pebble issues 40-second certificates here)
 * while mail keeps flowing, and kept serving while pebble is down.
 */
const skip = requireTool('pebble') || requireTool('pebble-challtestsrv') || requireTool('openssl') || requireTool('swaks');

const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 60_000) => {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** Runs a command without blocking the event loop (the listener checks run meanwhile); killed after timeoutMs. */
function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => {
      out += `\n[killed after ${timeoutMs} ms]`;
      c.kill('SIGKILL');
    }, timeoutMs);
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    c.on('error', (e) => {
      clearTimeout(t);
      resolve({ status: -1, out: out + e.message });
    });
    c.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, out });
    });
  });
}

/** The leaf certificate a listener serves: after STARTTLS (smtp) or at once (implicit TLS). */
function servedCert(port: number, servername: string, starttls: boolean, timeoutMs = 10_000): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    // the outermost socket: destroying a TLS socket also ends the one it wraps (destroying the
    // wrapped one underneath a live TLSSocket crashes node 20 in TLSWrap)
    let outer: import('node:net').Socket | undefined;
    let settled = false;
    const finish = (e: Error | undefined, c?: X509Certificate) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const o = outer;
      setImmediate(() => o?.destroy());
      if (e) reject(e);
      else resolve(c!);
    };
    const timer = setTimeout(() => finish(new Error(`servedCert ${port}: no certificate within ${timeoutMs} ms`)), timeoutMs);
    const done = (sock: import('node:net').Socket) => {
      const t = tlsConnect({ socket: sock, servername, rejectUnauthorized: false }, () => {
        const c = t.getPeerX509Certificate();
        finish(c ? undefined : new Error('no peer certificate'), c);
      });
      outer = t;
      t.on('error', (e) => finish(e));
    };
    const s = netConnect(port, '127.0.0.1');
    outer = s;
    s.on('close', () => finish(new Error(`servedCert ${port}: connection closed before a certificate`)));
    if (!starttls) return done(s);
    let buf = '';
    let step = 0;
    s.on('error', (e) => finish(e));
    s.on('data', (d) => {
      buf += d.toString();
      if (step === 0 && /^220 /m.test(buf)) {
        step = 1;
        buf = '';
        s.write('EHLO probe.test\r\n');
      } else if (step === 1 && /^250 /m.test(buf)) {
        step = 2;
        buf = '';
        s.write('STARTTLS\r\n');
      } else if (step === 2 && /^220 /m.test(buf)) {
        step = 3;
        s.removeAllListeners('data');
        done(s);
      }
    });
  });
}

describe('ACME (RFC 8555) against pebble', { skip, timeout: 420_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  let challtest: ChildProcess | undefined;
  let pebble: ChildProcess | undefined;
  let kumo: ServerProcess | undefined;
  const ports: Record<string, number> = {};
  let pebbleCa = '';

  const startPebble = async () => {
    const child = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${ports.dns}`], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitUntil('pebble to listen', () => /Listening on: /.test(out) || child.exitCode !== null, 20_000);
    assert.equal(child.exitCode, null, `pebble exited: ${out}`);
    return child;
  };
  const stopChild = (c: ChildProcess | undefined) =>
    new Promise<void>((res) => {
      if (!c || c.exitCode !== null || c.signalCode !== null) return res();
      c.once('exit', () => res());
      c.kill('SIGTERM');
    });

  before(async () => {
    ({ dir, cleanup } = tempTree({}));
    for (const k of ['pebble', 'mgmt', 'http01', 'tlsalpn', 'dns', 'dnsmgmt', 'smtp', 'smtps']) ports[k] = await freePort();
    // pebble's own HTTPS: a certificate made here, trusted by kumo-ts through [acme] ca
    const { cert, key } = await generateSelfSigned('localhost', 2);
    writeFileSync(join(dir, 'pebble-cert.pem'), cert);
    writeFileSync(join(dir, 'pebble-key.pem'), key);
    pebbleCa = cert;
    writeFileSync(join(dir, 'pebble.json'), JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${ports.pebble}`, managementListenAddress: `127.0.0.1:${ports.mgmt}`,
        certificate: join(dir, 'pebble-cert.pem'), privateKey: join(dir, 'pebble-key.pem'),
        httpPort: ports.http01, tlsPort: ports.tlsalpn, ocspResponderURL: '', externalAccountBindingRequired: false,
        certificateValidityPeriod: 40,
      },
    }));
    challtest = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${ports.dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '',
      '-management', `127.0.0.1:${ports.dnsmgmt}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], { stdio: 'ignore' });
    pebble = await startPebble();
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
enabled = false
[dns]
mode = "static"
zone_file = "zone.toml"
[acme]
directory = "https://localhost:${ports.pebble}/dir"
contact = "mailto:postmaster@kumo.test"
ca = "pebble-cert.pem"
http01_listen = "127.0.0.1:${ports.http01}"
tls_alpn01_listen = "127.0.0.1:${ports.tlsalpn}"
renew_before = 0.5
retry_interval = "1s"
max_retry_interval = "2s"
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
    await stopChild(pebble);
    await stopChild(challtest);
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
    // the account key was created, private
    const key = readFileSync(join(dir, 'data', 'acme', 'account.key'), 'utf8');
    assert.match(key, /PRIVATE KEY/);
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

  test('pebble down during renewal: the old certificate keeps serving, retries are logged, and it renews once pebble is back', async () => {
    await stopChild(pebble);
    const failedBefore = kumo!.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('acme: ordering certificate "mx" failed')).length;
    const served = (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256;
    await waitUntil('two failed renewal attempts', () =>
      kumo!.lines.filter((l) => typeof l.msg === 'string' && /^acme: (ordering )?certificate "mx" .*(failed|failing)/.test(l.msg)).length >= failedBefore + 2, 90_000);
    assert.equal((await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256, served, 'the certificate in place keeps serving');
    const issuedBefore = kumo!.lines.filter((l) => l.msg === 'acme: certificate "mx" issued').length;
    pebble = await startPebble();
    await kumo!.waitFor((l) => l.msg === 'acme: certificate "mx" issued' && kumo!.lines.filter((x) => x.msg === l.msg).length > issuedBefore, 60_000, 'mx renewed after pebble is back');
    await waitUntil('the renewed certificate to be served', async () => (await servedCert(ports.smtp, 'mx.kumo.test', true)).fingerprint256 !== served, 15_000);
    assert.ok(!pebbleCa.includes('Pebble'));
  });
});
