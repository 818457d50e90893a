// A real DNS server on loopback for tests: unbound answering only from local data, every other
// name REFUSED (nothing is ever recursed, no query leaves the host). Runs in the foreground as a
// child process; `stop` ends it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from './tmp.js';

export interface Unbound {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:PORT", for name_servers */
  readonly server: string;
  stop(): Promise<void>;
}

/** A UDP port that was free a moment ago (unbound needs a fixed one: retried on a bind failure). */
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

/**
 * Starts unbound on 127.0.0.1 with `records` as local-data lines ("name. IN MX 10 host.") and
 * `zones` as local-zone lines ("kumo.test. static"). Resolves once it answers.
 */
export async function startUnbound(opts: { records: string[]; zones?: string[]; ptr?: string[] }): Promise<Unbound> {
  const host = '127.0.0.1';
  const tree = tempTree({}, 'kumo-unbound-');
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await udpPort(host);
    const conf = join(tree.dir, 'unbound.conf');
    writeFileSync(conf, [
      'server:',
      `  interface: ${host}@${port}`,
      `  port: ${port}`,
      '  do-ip6: no',
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${tree.dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 0',
      '  num-threads: 1',
      '  access-control: 127.0.0.0/8 allow',
      '  module-config: "iterator"',
      // nothing is recursed: names without local data are refused
      '  local-zone: "." refuse',
      ...(opts.zones ?? []).map((z) => `  local-zone: ${z.replace(/^(\S+)/, '"$1"')}`),
      ...opts.records.map((r) => `  local-data: '${r}'`),
      ...(opts.ptr ?? []).map((p) => `  local-data-ptr: "${p}"`),
      'remote-control:',
      '  control-enable: no',
      '',
    ].join('\n'));
    const child = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    if (await answers(host, port, exited)) return handle(child, exited, host, port, tree.cleanup);
    last = out;
    child.kill('SIGKILL');
    await exited;
  }
  tree.cleanup();
  throw new Error(`unbound did not start: ${last}`);
}

/** true once unbound answers a query (REFUSED counts: it is up); false if it exits first. */
async function answers(host: string, port: number, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const r = new Resolver({ timeout: 300, tries: 1 });
  r.setServers([`${host}:${port}`]);
  const end = Date.now() + 15_000;
  while (!gone && Date.now() < end) {
    try {
      await r.resolve4('probe.invalid');
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code && code !== 'ETIMEOUT' && code !== 'ECONNREFUSED') return true;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return false;
}

function handle(child: ChildProcess, exited: Promise<number | null>, host: string, port: number, cleanup: () => void): Unbound {
  return {
    host,
    port,
    server: `${host}:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      cleanup();
    },
  };
}
