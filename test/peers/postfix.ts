// A private Postfix instance for tests: its own config_directory (main.cf, master.cf),
// queue_directory, data_directory, mailboxes and log file under a temp dir; smtpd only on
// 127.0.0.1 ports of our choosing; `postfix -c DIR start-fg` as a child process. No system
// config is read or written, and Postfix never looks anything up in DNS (smtp DNS lookups
// disabled; mail that is not for a virtual mailbox goes to `relayhost`, an address literal, or
// is refused by the error transport).
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

export interface PostfixOptions {
  /** virtual mailbox addresses accepted (their domains become virtual_mailbox_domains) */
  mailboxes: string[];
  /** smtpd listeners on 127.0.0.1 */
  services: PostfixService[];
  /** extra main.cf lines */
  main?: string;
}

/** The uid/gid of the postfix account (mail_owner): Postfix refuses to run its daemons as root. */
function postfixAccount(): { uid: number; gid: number } {
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

export class PostfixInstance {
  readonly etc: string;
  readonly mailBase: string;
  private tool?: Tool;
  private readonly tmp = tempTree({}, 'kumo-postfix-');

  constructor(readonly opts: PostfixOptions) {
    this.etc = join(this.tmp.dir, 'etc');
    this.mailBase = join(this.tmp.dir, 'mail');
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

  async start(): Promise<void> {
    const d = this.tmp.dir;
    const { uid, gid } = postfixAccount();
    // Postfix's daemons run as the postfix account: they must be able to reach their dirs
    chmodSync(d, 0o755);
    for (const sub of ['etc', 'queue']) mkdirSync(join(d, sub), { recursive: true });
    for (const sub of ['data', 'mail']) {
      mkdirSync(join(d, sub), { recursive: true });
      chownSync(join(d, sub), uid, gid);
    }
    const domains = [...new Set(this.opts.mailboxes.map((a) => a.split('@')[1]))];
    writeFileSync(join(this.etc, 'vmailbox'), this.opts.mailboxes.map((a) => `${a} ${a.split('@')[1]}/${a.split('@')[0]}/\n`).join(''));
    writeFileSync(join(this.etc, 'main.cf'), `
compatibility_level = 3.6
config_directory = ${this.etc}
queue_directory = ${d}/queue
data_directory = ${d}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${this.logFile}
maillog_file_prefixes = ${d}
myhostname = postfix.peer.test
mydomain = peer.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP Postfix peer
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
biff = no
smtp_dns_support_level = disabled
default_transport = error:5.7.1 this test Postfix relays nothing
notify_classes =
virtual_mailbox_domains = ${domains.join(', ')}
virtual_mailbox_base = ${this.mailBase}
virtual_mailbox_maps = texthash:${this.etc}/vmailbox
virtual_uid_maps = static:${uid}
virtual_gid_maps = static:${gid}
${this.opts.main ?? ''}
`);
    const smtpd = this.opts.services
      .map((s) => `127.0.0.1:${s.port} inet n - n - - smtpd\n${Object.entries(s.options ?? {}).map(([k, v]) => `  -o ${k}=${v}\n`).join('')}`)
      .join('');
    writeFileSync(join(this.etc, 'master.cf'), `${smtpd}
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
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`);
    // creates the queue's subdirectories with their owners and modes
    run('postfix', ['-c', this.etc, 'check']);
    this.tool = new Tool('postfix', ['-c', this.etc, 'start-fg']);
    for (const s of this.opts.services) await waitForPort(s.port, 'postfix smtpd', this.tool, 30_000);
    await this.waitForLog(/postfix\/master\[\d+\]: daemon started/);
  }

  /** Submits a message with Postfix's own sendmail (postdrop → pickup → qmgr). */
  sendmail(from: string, to: string[], message: string): void {
    run('/usr/sbin/sendmail', ['-C', this.etc, '-f', from, '-i', '--', ...to], { input: message });
  }

  /** The messages in a virtual mailbox (maildir new/ and cur/). */
  mailbox(address: string): Buffer[] {
    const [local, domain] = address.split('@');
    const out: Buffer[] = [];
    for (const sub of ['new', 'cur']) {
      const p = join(this.mailBase, domain, local, sub);
      if (existsSync(p)) for (const f of readdirSync(p).sort()) out.push(readFileSync(join(p, f)));
    }
    return out;
  }

  async waitForLog(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    let m: RegExpMatchArray | null = null;
    await until(() => !!(m = this.log().match(re)), ms, `${re} in the Postfix log`).catch((e: Error) => {
      throw new Error(`${e.message}:\n${this.log().split('\n').slice(-30).join('\n')}`);
    });
    return m!;
  }

  /** Stops the master (and so every daemon) and removes the instance's files. */
  async stop(): Promise<void> {
    if (this.tool?.running) {
      spawnSync(toolPath('postfix'), ['-c', this.etc, 'stop'], { stdio: 'ignore', timeout: 20_000 });
      await until(() => !this.tool!.running, 15_000, 'postfix to stop').catch(() => undefined);
      // still there: kill the master by its pid file, then the wrapper
      const pidFile = join(this.tmp.dir, 'queue', 'pid', 'master.pid');
      if (this.tool.running && existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 1) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await this.tool.stop();
    }
    this.tmp.cleanup();
  }
}

/** A CA and a server certificate for `name` (and 127.0.0.1) signed by it, made with openssl. */
export function makeCertificates(dir: string, name: string): { caFile: string; certFile: string; keyFile: string } {
  const p = (f: string) => join(dir, f);
  mkdirSync(dir, { recursive: true });
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=kumo-ts test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('ext.cnf'), `subjectAltName=DNS:${name},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.pem')]);
  chmodSync(p('server.key'), 0o644);
  return { caFile: p('ca.pem'), certFile: p('server.pem'), keyFile: p('server.key') };
}
