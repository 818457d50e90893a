/** The parts of a scheduled queue name. */
export interface QueueNameParts {
  readonly domain: string;
  readonly tenant?: string;
  readonly campaign?: string;
  readonly routingDomain?: string;
}

/**
 * KumoMTA's scheduled queue name: `campaign:tenant@domain!routing_domain`, each absent part
 * (and its separator) omitted: `example.com`, `t1@example.com`, `c1:t1@example.com`,
 * `example.com!relay.example.net`.
 */
export function queueName(p: QueueNameParts): string {
  let s = '';
  if (p.campaign !== undefined) s += `${p.campaign}:`;
  if (p.tenant !== undefined) s += `${p.tenant}@`;
  else if (p.campaign !== undefined) s += '@';
  s += p.domain;
  if (p.routingDomain !== undefined) s += `!${p.routingDomain}`;
  return s;
}

/** Inverse of queueName (for admin tools and restart diagnostics). */
export function parseQueueName(name: string): QueueNameParts {
  let rest = name;
  let routingDomain: string | undefined;
  const bang = rest.lastIndexOf('!');
  if (bang >= 0) {
    routingDomain = rest.slice(bang + 1);
    rest = rest.slice(0, bang);
  }
  const at = rest.lastIndexOf('@');
  if (at < 0) return { domain: rest, routingDomain };
  const domain = rest.slice(at + 1);
  const head = rest.slice(0, at);
  const colon = head.indexOf(':');
  const campaign = colon >= 0 ? head.slice(0, colon) : undefined;
  const tenant = colon >= 0 ? head.slice(colon + 1) : head;
  return { domain, tenant: tenant === '' ? undefined : tenant, campaign, routingDomain };
}

/** longest tenant or campaign name (a queue name part, a metric label, a lmdb key) */
export const MAX_NAME_PART = 255;

/**
 * Why a tenant or campaign name read from a message header cannot be part of a queue name, or
 * undefined: ':' and '!' would make the name parse back differently (`campaign:tenant@domain!routing`),
 * a control character has no place in a name, a log line or a metric label.
 */
export function namePartProblem(v: string): string | undefined {
  if (v.length > MAX_NAME_PART) return `is longer than ${MAX_NAME_PART} characters`;
  if (/[\x00-\x1f\x7f]/.test(v)) return 'has a control character';
  const c = /[:!]/.exec(v);
  if (c) return `has a '${c[0]}', which separates the parts of a queue name`;
  return undefined;
}

