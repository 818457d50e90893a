import { lookupListenerDomain } from '../config/listener-domains.js';
import type { ListenerDomains, ReportDisposition } from '../config/listener-domains.js';
import type { CidrSet } from '../config/values.js';

export type RelayReason = 'relay_hosts' | 'relay_from' | 'relay_from_authz' | 'relay_to' | 'auth';

export interface RelayQuery {
  readonly domains: ListenerDomains;
  /** keys a per-listener block may be written under: local "ip:port", configured listen, name */
  readonly listenerKeys: readonly string[];
  readonly relayHosts: CidrSet;
  /** client address (after PROXY protocol) */
  readonly peer: string;
  /** envelope sender domain ('' for the null sender) */
  readonly senderDomain: string;
  readonly recipientDomain: string;
  /** SMTP AUTH identity, if the session authenticated */
  readonly authUser?: string;
  /** whether an authenticated session may relay anywhere (listener auth.relay, default true) */
  readonly authRelays: boolean;
}

export interface RelayDecision {
  /** queue the message for onward delivery to this recipient */
  readonly relay: boolean;
  /** why relaying is allowed (first rule that matched) */
  readonly reason?: RelayReason;
  readonly logOob: ReportDisposition;
  readonly logArf: ReportDisposition;
  /** accept the RCPT at all: relayed, or kept to log an OOB/ARF report */
  readonly accept: boolean;
}

/**
 * KumoMTA's relay rule (smtp_server.rs check_relaying), plus authenticated sessions:
 * relaying is allowed when the client is in the listener's relay_hosts; or the *sender*
 * domain's block lists the client in relay_from (or its AUTH identity in relay_from_authz);
 * or the *recipient* domain's block has relay_to; or the session authenticated (auth.relay).
 * A recipient that is not relayed is still accepted when its domain logs OOB or ARF reports.
 */
export function decideRelay(q: RelayQuery): RelayDecision {
  const sender = q.senderDomain ? lookupListenerDomain(q.domains, q.senderDomain, q.listenerKeys) : undefined;
  const rcpt = lookupListenerDomain(q.domains, q.recipientDomain, q.listenerKeys);
  const logOob = rcpt?.logOob ?? 'Ignore';
  const logArf = rcpt?.logArf ?? 'Ignore';
  let reason: RelayReason | undefined;
  if (q.relayHosts.has(q.peer)) reason = 'relay_hosts';
  else if (sender?.relayFrom.has(q.peer)) reason = 'relay_from';
  else if (sender && q.authUser !== undefined && sender.relayFromAuthz.includes(q.authUser)) reason = 'relay_from_authz';
  else if (rcpt?.relayTo) reason = 'relay_to';
  else if (q.authUser !== undefined && q.authRelays) reason = 'auth';
  const relay = reason !== undefined;
  return { relay, reason, logOob, logArf, accept: relay || logOob !== 'Ignore' || logArf !== 'Ignore' };
}

/** The domain of an address ("" for the null sender or an address without one). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase().replace(/^\[|\]$/g, '');
}
