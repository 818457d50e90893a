import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { generateSelfSigned } from '../../src/tls/self-signed.js';
import { freePort } from '../helpers/ports.js';

/**
 * Debian's pebble (RFC 8555 test CA) with pebble-challtestsrv as its DNS (every name →
 * 127.0.0.1; TXT records set through its management API), on loopback ports, for the ACME tests.
 */

export const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> => {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** Runs a command without blocking the event loop (the listener checks run meanwhile); killed after timeoutMs. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ status: number | null; out: string }> {
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

/** The leaf certificate a listener serves: after STARTTLS (smtp), at once (implicit TLS / HTTPS). */
export function servedCert(port: number, servername: string, starttls: boolean, timeoutMs = 10_000): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    // the outermost socket: destroying a TLS socket also ends the one it wraps (destroying the
    // wrapped one underneath a live TLSSocket crashes node 20 in TLSWrap)
    let outer: Socket | undefined;
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
    const done = (sock: Socket) => {
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
    s.on('error', (e) => finish(e));
    if (!starttls) return done(s);
    let buf = '';
    let step = 0;
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

export const stopChild = (c: ChildProcess | undefined): Promise<void> =>
  new Promise<void>((res) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return res();
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.once('exit', () => {
      clearTimeout(t);
      res();
    });
    c.kill('SIGTERM');
  });

export interface PebbleLab {
  /** pebble's directory URL */
  readonly directory: string;
  /** file with the CA of pebble's own HTTPS (for [acme] ca) */
  readonly caFile: string;
  /** where pebble validates HTTP-01 and TLS-ALPN-01 (kumo-ts answers there) */
  readonly http01Port: number;
  readonly tlsAlpnPort: number;
  /** pebble's management API (GET /roots/0: the root of the certificates it issues) */
  readonly mgmtPort: number;
  /** pebble-challtestsrv's management API (set-txt, clear-txt) */
  readonly dnsMgmtPort: number;
  /** every line pebble printed, since the lab started */
  readonly out: () => string;
  stopPebble(): Promise<void>;
  startPebble(): Promise<void>;
  close(): Promise<void>;
}

/** Starts challtestsrv and pebble in `dir`; `validitySeconds` sets pebble's certificate lifetime. */
export async function startPebbleLab(dir: string, opts: { validitySeconds?: number } = {}): Promise<PebbleLab> {
  const ports: Record<string, number> = {};
  for (const k of ['pebble', 'mgmt', 'http01', 'tlsalpn', 'dns', 'dnsmgmt']) ports[k] = await freePort();
  // pebble's own HTTPS: a certificate made here, trusted by kumo-ts through [acme] ca
  const { cert, key } = await generateSelfSigned('localhost', 2);
  const caFile = join(dir, 'pebble-cert.pem');
  writeFileSync(caFile, cert);
  writeFileSync(join(dir, 'pebble-key.pem'), key);
  writeFileSync(join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${ports.pebble}`, managementListenAddress: `127.0.0.1:${ports.mgmt}`,
      certificate: caFile, privateKey: join(dir, 'pebble-key.pem'),
      httpPort: ports.http01, tlsPort: ports.tlsalpn, ocspResponderURL: '', externalAccountBindingRequired: false,
      ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
    },
  }));
  const challtest = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${ports.dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '',
    '-management', `127.0.0.1:${ports.dnsmgmt}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], { stdio: 'ignore' });
  let out = '';
  let pebble: ChildProcess | undefined;
  const startPebble = async () => {
    const child = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${ports.dns}`], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let mine = '';
    const onOut = (d: Buffer) => {
      mine += d;
      out += d;
    };
    child.stdout!.on('data', onOut);
    child.stderr!.on('data', onOut);
    await waitUntil('pebble to listen', () => /Listening on: /.test(mine) || child.exitCode !== null, 20_000);
    assert.equal(child.exitCode, null, `pebble exited: ${mine}`);
    pebble = child;
  };
  await startPebble();
  return {
    directory: `https://localhost:${ports.pebble}/dir`,
    caFile,
    http01Port: ports.http01!,
    tlsAlpnPort: ports.tlsalpn!,
    dnsMgmtPort: ports.dnsmgmt!,
    mgmtPort: ports.mgmt!,
    out: () => out,
    startPebble,
    stopPebble: () => stopChild(pebble),
    async close() {
      await stopChild(pebble);
      await stopChild(challtest);
    },
  };
}
