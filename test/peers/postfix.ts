// The peer tests' private Postfix (a PrivatePostfix, see private-postfix.ts) with virtual
// mailboxes under its temp dir. Postfix never looks anything up in DNS (smtp DNS lookups
// disabled; mail that is not for a virtual mailbox goes to `relayhost`, an address literal, or
// is refused by the error transport).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivatePostfix } from './private-postfix.js';
import type { PostfixService } from './private-postfix.js';
import { run } from './tools.js';

export { postfixUnavailable } from './private-postfix.js';
export type { PostfixService } from './private-postfix.js';

export interface PostfixOptions {
  /** virtual mailbox addresses accepted (their domains become virtual_mailbox_domains) */
  mailboxes: string[];
  /** smtpd listeners on 127.0.0.1 */
  services: PostfixService[];
  /** extra main.cf lines */
  main?: string;
}

export class PostfixInstance extends PrivatePostfix {
  constructor(readonly opts: PostfixOptions) {
    const domains = [...new Set(opts.mailboxes.map((a) => a.split('@')[1]))];
    super({
      prefix: 'kumo-postfix-',
      services: opts.services,
      myhostname: 'postfix.peer.test',
      mydomain: 'peer.test',
      ownedDirs: ['mail'],
      etcFiles: { vmailbox: opts.mailboxes.map((a) => `${a} ${a.split('@')[1]}/${a.split('@')[0]}/\n`).join('') },
      main: ({ dir, etc, uid, gid }) => `myorigin = $myhostname
smtpd_banner = $myhostname ESMTP Postfix peer
local_recipient_maps =
relay_domains =
smtp_dns_support_level = disabled
default_transport = error:5.7.1 this test Postfix relays nothing
notify_classes =
virtual_mailbox_domains = ${domains.join(', ')}
virtual_mailbox_base = ${join(dir, 'mail')}
virtual_mailbox_maps = texthash:${etc}/vmailbox
virtual_uid_maps = static:${uid}
virtual_gid_maps = static:${gid}
${opts.main ?? ''}`,
    });
  }

  get mailBase(): string {
    return join(this.dir, 'mail');
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
