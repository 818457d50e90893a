/**
 * How the template renderer process is started (render-sandbox.ts): Node's permission model
 * with reads of kumo-ts's own code only, no environment, a capped heap; where the system allows,
 * also network and PID namespaces of its own (no network at all: not even loopback, where the
 * admin API trusts its peers; no other process it could signal) and the `nobody` user when the
 * server runs as root.
 */
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** What the renderer is kept from beyond the permission model. */
export interface Isolation {
  /** its own network and PID namespaces (util-linux `unshare`; a user namespace too when not root) */
  readonly net: boolean;
  /** runs as nobody (the server is root) */
  readonly nobody: boolean;
}

/** What a process started from the server's own code may read: its code and its packages. */
export function rendererReadPaths(): string[] {
  const dist = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
  const modules = realpathSync(dirname(dirname(require.resolve('nunjucks/package.json'))));
  // Node reads the package.json above dist/ for "type": "module"
  const pkg = join(dirname(dist), 'package.json');
  return [join(dist, '*'), join(modules, '*'), pkg];
}

/** The node flags of the renderer: the permission model with reads of its own code only. */
export function rendererExecArgv(heapMb: number): string[] {
  return [
    '--experimental-permission',
    ...rendererReadPaths().map((p) => `--allow-fs-read=${p}`),
    '--disable-warning=ExperimentalWarning',
    `--max-old-space-size=${heapMb}`,
  ];
}

/** The uid/gid of `nobody` (65534 when /etc/passwd does not say). */
export function nobody(): { uid: number; gid: number } {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    const f = line?.split(':');
    if (f && Number.isInteger(Number(f[2])) && Number.isInteger(Number(f[3]))) return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    /* no passwd file: the usual numbers */
  }
  return { uid: 65534, gid: 65534 };
}

/** util-linux's unshare on the server's PATH (the renderer's own environment is empty). */
function unshareCommand(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, 'unshare');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** The isolations to try, strongest first: the first one the system allows is kept. */
export function isolationLevels(): Isolation[] {
  const root = process.getuid?.() === 0;
  const net = process.platform === 'linux' && unshareCommand() !== undefined;
  const levels: Isolation[] = [];
  for (const n of net ? [true, false] : [false]) for (const u of root ? [true, false] : [false]) levels.push({ net: n, nobody: u });
  // nobody without a namespace before a namespace as root: the uid change keeps it from the
  // server's files and processes, the namespace only from the network
  return levels.sort((a, b) => Number(b.net) + 2 * Number(b.nobody) - (Number(a.net) + 2 * Number(a.nobody)));
}

/** The command that starts the renderer `entry` with `isolation`. */
export function rendererLaunch(entry: string, heapMb: number, isolation: Isolation): { file: string; args: string[]; uid?: number; gid?: number } {
  const node = [...rendererExecArgv(heapMb), entry];
  const unshare = isolation.net ? unshareCommand() : undefined;
  if (!unshare) return { file: process.execPath, args: node, ...(isolation.nobody ? nobody() : {}) };
  // as root unshare creates the namespaces, then changes user (and drops supplementary groups);
  // otherwise a user namespace makes the others possible. A PID namespace of its own: the
  // server's pid (and every other process's) cannot be named, so not signalled, even by the
  // same user. node runs as unshare's child, killed with it (--kill-child)
  const user = isolation.nobody ? ['--setgid', String(nobody().gid), '--setuid', String(nobody().uid)] : process.getuid?.() === 0 ? [] : ['--user'];
  return { file: unshare, args: ['--net', '--pid', '--fork', '--kill-child', ...user, '--', process.execPath, ...node] };
}
