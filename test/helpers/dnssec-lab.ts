// A real DNSSEC lab on loopback (see /work/shared/notes/dnssec-lab.md): the zone is signed at
// test time with dnssec-keygen + dnssec-signzone (bind9-utils), served by nsd on 127.0.0.53, and
// resolved through a validating unbound on 127.0.0.54 that trusts the zone's KSK and can reach
// nothing but nsd (stub zones for the test zone and for the root).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DnssecClient } from '../../src/tls-policy/dnssec-client.js';
import { tempTree } from './tmp.js';

export interface DnssecLab {
  /** "127.0.0.54:PORT": the validating resolver */
  readonly resolver: string;
  readonly resolverHost: string;
  readonly resolverPort: number;
  /** unbound's log (every upstream query must go to the nsd address) */
  unboundLog(): string;
  stop(): Promise<void>;
}

function udpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function start(cmd: string, args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, out: () => out, exited };
}

export interface DnssecLabOptions {
  /** edits the signed zone before nsd serves it: a record changed after signing is bogus (SERVFAIL at unbound) */
  readonly tamper?: (signed: string) => string;
}

/**
 * Signs `records` (zone-file lines relative to `zone`, SOA and NS added here) and starts the
 * lab. Resolves once unbound answers the zone's SOA... MX with the AD bit.
 */
export async function startDnssecLab(zone: string, records: string[], opts: DnssecLabOptions = {}): Promise<DnssecLab> {
  const tree = tempTree({}, 'kumo-dnssec-');
  const dir = tree.dir;
  const origin = zone.replace(/\.$/, '') + '.';
  writeFileSync(join(dir, 'zone.db'), [
    `$ORIGIN ${origin}`,
    '$TTL 300',
    `@ IN SOA ns.${origin} hostmaster.${origin} 1 3600 600 86400 300`,
    `@ IN NS ns.${origin}`,
    'ns IN A 127.0.0.53',
    ...records,
    '',
  ].join('\n'));
  run('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', '-n', 'ZONE', origin], dir);
  run('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-n', 'ZONE', origin], dir);
  run('dnssec-signzone', ['-q', '-S', '-K', dir, '-o', origin, '-f', join(dir, 'zone.signed'), join(dir, 'zone.db')], dir);
  if (opts.tamper) {
    const signed = readFileSync(join(dir, 'zone.signed'), 'utf8');
    const changed = opts.tamper(signed);
    if (changed === signed) throw new Error('dnssec lab: the tamper function changed nothing in the signed zone');
    writeFileSync(join(dir, 'zone.signed'), changed);
  }
  // the KSK (flags 257) is the trust anchor
  const ksk = readdirSync(dir).filter((f) => f.endsWith('.key')).map((f) => readFileSync(join(dir, f), 'utf8')).find((t) => / 257 3 13 /.test(t))!;
  writeFileSync(join(dir, 'anchor.key'), ksk.split('\n').filter((l) => l && !l.startsWith(';')).join('\n') + '\n');

  const procs: ReturnType<typeof start>[] = [];
  const stop = async () => {
    for (const p of procs) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    tree.cleanup();
  };
  try {
    const nsdPort = await udpPort('127.0.0.53');
    writeFileSync(join(dir, 'nsd.conf'), [
      'server:',
      '  ip-address: 127.0.0.53',
      `  port: ${nsdPort}`,
      '  do-ip6: no',
      '  username: ""',
      '  chroot: ""',
      '  database: ""',
      `  zonelistfile: "${join(dir, 'zone.list')}"`,
      `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
      `  pidfile: "${join(dir, 'nsd.pid')}"`,
      `  zonesdir: "${dir}"`,
      '  verbosity: 1',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      `  name: "${origin}"`,
      `  zonefile: "${join(dir, 'zone.signed')}"`,
      '',
    ].join('\n'));
    const nsd = start('nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
    procs.push(nsd);
    const ubPort = await udpPort('127.0.0.54');
    writeFileSync(join(dir, 'unbound.conf'), [
      'server:',
      '  interface: 127.0.0.54',
      `  port: ${ubPort}`,
      '  do-ip6: no',
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      `  logfile: "${join(dir, 'unbound.log')}"`,
      '  verbosity: 1',
      '  log-queries: yes',
      '  num-threads: 1',
      '  access-control: 127.0.0.0/8 allow',
      '  module-config: "validator iterator"',
      '  do-not-query-localhost: no',
      '  local-zone: "test." nodefault',
      `  trust-anchor-file: "${join(dir, 'anchor.key')}"`,
      '  trust-anchor-signaling: no',
      '  root-key-sentinel: no',
      '  qname-minimisation: no',
      'stub-zone:',
      `  name: "${origin}"`,
      `  stub-addr: 127.0.0.53@${nsdPort}`,
      'stub-zone:',
      '  name: "."',
      `  stub-addr: 127.0.0.53@${nsdPort}`,
      'remote-control:',
      '  control-enable: no',
      '',
    ].join('\n'));
    const unbound = start('unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
    procs.push(unbound);
    const client = new DnssecClient([{ host: '127.0.0.54', port: ubPort }], 1000);
    const t0 = Date.now();
    for (;;) {
      try {
        const a = await client.query(`ns.${origin}`, 'A');
        if (a.secure && a.records.length) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() - t0 > 15_000) throw new Error(`DNSSEC lab did not come up with a secure answer:\nnsd: ${nsd.out()}\nunbound: ${unbound.out()}\n${safeRead(join(dir, 'unbound.log'))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      resolver: `127.0.0.54:${ubPort}`,
      resolverHost: '127.0.0.54',
      resolverPort: ubPort,
      unboundLog: () => safeRead(join(dir, 'unbound.log')),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
