/**
 * Administrative rules (KumoMTA's admin bounce, suspend and suspend-ready-q entries): what
 * they match and when they end. Plain data, so that the whole set persists as JSON.
 */

/** Which scheduled queues a bounce or suspension applies to; an absent field matches anything. */
export interface QueueSelector {
  readonly domain?: string;
  readonly routing_domain?: string;
  readonly tenant?: string;
  readonly campaign?: string;
  /** exact scheduled queue names; when present, they take precedence over the fields above (as in KumoMTA) */
  readonly queue_names?: readonly string[];
}

interface RuleBase {
  /** UUID */
  readonly id: string;
  readonly reason: string;
  /** epoch ms */
  readonly created: number;
  readonly expires: number;
}

export interface BounceRule extends RuleBase, QueueSelector {
  readonly kind: 'bounce';
  readonly suppress_logging: boolean;
  /** recipients bounced by this rule so far, by scheduled queue name */
  bounced: Record<string, number>;
}

export interface SuspendRule extends RuleBase, QueueSelector {
  readonly kind: 'suspend';
}

export interface ReadySuspendRule extends RuleBase {
  readonly kind: 'suspend-ready-q';
  /** a ready queue name (src/delivery/ready-queue-name.ts) */
  readonly name: string;
}

export type AdminRule = BounceRule | SuspendRule | ReadySuspendRule;

/** What a scheduled queue is made of (src/queue/naming.ts), lower-case domains. */
export interface QueueFacts {
  readonly name: string;
  readonly domain: string;
  readonly routingDomain?: string;
  readonly tenant?: string;
  readonly campaign?: string;
}

const eqDomain = (want: string | undefined, have: string | undefined) => want === undefined || (have !== undefined && want.toLowerCase().replace(/\.$/, '') === have);

/** Whether a selector applies to a scheduled queue. */
export function selects(sel: QueueSelector, q: QueueFacts): boolean {
  if (sel.queue_names?.length) return sel.queue_names.includes(q.name);
  if (!eqDomain(sel.domain, q.domain)) return false;
  // a message without a routing domain is routed by its own domain
  if (!eqDomain(sel.routing_domain, q.routingDomain ?? q.domain)) return false;
  if (sel.tenant !== undefined && sel.tenant !== q.tenant) return false;
  if (sel.campaign !== undefined && sel.campaign !== q.campaign) return false;
  return true;
}

/** True when the selector names nothing (it applies to every queue). */
export function selectsEverything(sel: QueueSelector): boolean {
  return !sel.queue_names?.length && sel.domain === undefined && sel.routing_domain === undefined && sel.tenant === undefined && sel.campaign === undefined;
}

