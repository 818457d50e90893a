/**
 * RFC 5321 §4.1.1.3: `RCPT TO:<Postmaster>` (no domain) must be accepted and means the
 * postmaster of this host. smtp-server lets it through as it is; everything after reception
 * (relay policy, routing, records) needs a domain, so it becomes `postmaster@<hostname>` of the
 * listener: listing the hostname in listener_domains (or a queue for it) decides where it goes.
 * Any other address is returned unchanged.
 */
export function qualifyPostmaster(address: string, hostname: string): string {
  return address.toLowerCase() === 'postmaster' ? `postmaster@${hostname}` : address;
}
