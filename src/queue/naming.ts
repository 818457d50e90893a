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
