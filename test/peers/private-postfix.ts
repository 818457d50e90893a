// A private Postfix instance: its own config_directory (main.cf, master.cf), queue_directory,
// data_directory and log file under a temp dir; smtpd only on 127.0.0.1 ports of our choosing;
// `postfix -c DIR start-fg` as a child process. No system config is read or written. What mail
// does there (where it goes, who may relay) is the caller's main.cf lines: the peer tests'
// virtual mailboxes (test/peers/postfix.ts) and bench/relay-smtp-source's relayhost.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempTree } from '../helpers/tmp.js';
import { haveTool } from '../require-tool.js';
import { run, Tool, toolPath, until, waitForPort } from './tools.js';

export interface PostfixService {
  port: number;
  /** `-o name=value` overrides of main.cf for this smtpd */
  options?: Record<string, string>;
}

/** The paths of an instance, and the postfix account, for the caller's main.cf lines. */
export interface PostfixPlace {
  dir: string;
  etc: string;
  uid: number;
  gid: number;
}

export interface PrivatePostfixOptions {
  /** smtpd listeners on 127.0.0.1 */
  services: PostfixService[];
  myhostname: string;
  mydomain: string;
  /** main.cf lines after the common ones (routing, maps, limits) */
  main(place: PostfixPlace): string;
  /** more files of the config_directory (maps) */
  etcFiles?: Record<string, string>;
  /** subdirectories of the instance owned by the postfix account (besides data) */
  ownedDirs?: string[];
  /** prefix of the temp dir */
  prefix?: string;
}

/** The uid/gid of the postfix account (mail_owner): Postfix refuses to run its daemons as root. */
export function postfixAccount(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postfix'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Why a private Postfix cannot run here, or false. */
export function postfixUnavailable(): string | false {
  if (!haveTool('postfix')) return 'postfix is not installed';
  if (userInfo().uid !== 0) return 'a private Postfix instance needs root (postfix -c DIR start)';
  if (spawnSync('id', ['-u', 'postfix'], { stdio: 'ignore' }).status !== 0) return 'the postfix account does not exist';
  return false;
}

/** The installed Postfix's mail_version, or '?'. */
export function postfixVersion(): string {
  try {
    return run('postconf', ['-d', '-h', 'mail_version']).trim();
  } catch {
    return '?';
  }
}

// every daemon unchrooted; delivery by smtp (relayhost), virtual (mailboxes) or local
const MASTER_CF = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export class PrivatePostfix {
  readonly etc: string;
  private tool?: Tool;
  private readonly tmp: ReturnType<typeof tempTree>;

  constructor(readonly config: PrivatePostfixOptions) {
    this.tmp = tempTree({}, config.prefix ?? 'kumo-postfix-');
    this.etc = join(this.tmp.dir, 'etc');
  }

  get dir(): string {
    return this.tmp.dir;
  }

  get logFile(): string {
    return join(this.tmp.dir, 'maillog');
  }

  /** Postfix's log so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /**
   * Writes the config, starts the master and waits for every smtpd port and the master's start
   * line. When it fails, the instance is stopped and its files removed before the error.
   */
  async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async startOnce(): Promise<void> {
    const d = this.tmp.dir;
    const { uid, gid } = postfixAccount();
    // Postfix's daemons run as the postfix account: they must be able to reach their dirs
    chmodSync(d, 0o755);
    for (const sub of ['etc', 'queue']) mkdirSync(join(d, sub), { recursive: true });
    for (const sub of ['data', ...(this.config.ownedDirs ?? [])]) {
      mkdirSync(join(d, sub), { recursive: true });
      chownSync(join(d, sub), uid, gid);
    }
    for (const [name, text] of Object.entries(this.config.etcFiles ?? {})) writeFileSync(join(this.etc, name), text);
    writeFileSync(join(this.etc, 'main.cf'), `
compatibility_level = 3.6
config_directory = ${this.etc}
queue_directory = ${d}/queue
data_directory = ${d}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${this.logFile}
# default /var, /dev/stdout: postfix start fails silently for a maillog_file elsewhere
maillog_file_prefixes = ${d}
myhostname = ${this.config.myhostname}
mydomain = ${this.config.mydomain}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
${this.config.main({ dir: d, etc: this.etc, uid, gid })}
`);
    const smtpd = this.config.services
      .map((s) => `127.0.0.1:${s.port} inet n - n - - smtpd\n${Object.entries(s.options ?? {}).map(([k, v]) => `  -o ${k}=${v}\n`).join('')}`)
      .join('');
    writeFileSync(join(this.etc, 'master.cf'), smtpd + MASTER_CF);
    // creates the queue's subdirectories with their owners and modes
    run('postfix', ['-c', this.etc, 'check']);
    this.tool = new Tool('postfix', ['-c', this.etc, 'start-fg']);
    for (const s of this.config.services) await waitForPort(s.port, 'postfix smtpd', this.tool, 30_000);
    await this.waitForLog(/postfix\/master\[\d+\]: daemon started/);
  }

  async waitForLog(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    let m: RegExpMatchArray | null = null;
    await until(() => !!(m = this.log().match(re)), ms, `${re} in the Postfix log`).catch((e: Error) => {
      throw new Error(`${e.message}:\n${this.log().split('\n').slice(-30).join('\n')}`);
    });
    return m!;
  }

  private masterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.tmp.dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
      return pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every process of the instance: the master and its children (empty when it is not running). */
  pids(): number[] {
    const master = this.masterPid();
    if (master === undefined) return [];
    const kids = spawnSync('pgrep', ['-P', String(master)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    return [master, ...kids];
  }

  /** Stops the master (and so every daemon) and removes the instance's files. */
  async stop(): Promise<void> {
    if (this.tool?.running) {
      spawnSync(toolPath('postfix'), ['-c', this.etc, 'stop'], { stdio: 'ignore', timeout: 20_000 });
      await until(() => !this.tool!.running, 15_000, 'postfix to stop').catch(() => undefined);
      // still there: kill the master by its pid file, then the wrapper
      const pid = this.masterPid();
      if (this.tool.running && pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await this.tool.stop();
    }
    this.tmp.cleanup();
  }
}
