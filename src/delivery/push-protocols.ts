// The delivery protocols that push each message to one configured endpoint (HTTP, AMQP)
// rather than route it by DNS: what the queue manager needs of them, in one place.
import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import type { Job } from '../queue/job.js';
import type { SpoolMeta } from '../spool/types.js';
import type { AmqpProtocol } from './amqp-protocol.js';
import { AMQP_CLIENT, amqpReadyQueue, isAmqpReadyQueue, openAmqpSession } from './amqp-session.js';
import type { DeliverySession } from './delivery-session.js';
import type { HttpProtocol } from './http-protocol.js';
import { HTTP_CLIENT, HttpSession, httpReadyQueue, isHttpReadyQueue } from './http-session.js';
import type { ReadyQueueIdentity } from './ready-queue-name.js';

export type PushProtocol = HttpProtocol | AmqpProtocol;

/** What a push session reads per message from the current config (undefined: the queue no longer pushes there). */
export interface PushFacts {
  readonly protocol: PushProtocol;
  readonly meta: SpoolMeta;
  readonly queue: string;
  /** the recipient domain */
  readonly domain: string;
}

export function isPushProtocol(p: { readonly kind: string }): p is PushProtocol {
  return p.kind === 'http' || p.kind === 'amqp';
}

/** The ready queue (site `http:<origin>` or `amqp:<endpoint>`) and stand-in route of a push protocol. */
export function pushReadyQueue(p: PushProtocol, source: string): { id: ReadyQueueIdentity; route: Route } {
  return p.kind === 'http' ? httpReadyQueue(p, source) : amqpReadyQueue(p, source);
}

/** The client of a ready queue by its name (metrics' service label): http_client, amqp_client or smtp_client. */
export function readyQueueService(name: string): string {
  return isHttpReadyQueue(name) ? HTTP_CLIENT : isAmqpReadyQueue(name) ? AMQP_CLIENT : 'smtp_client';
}

/**
 * Opens the connections of a push ready queue (one per shaping lease, as for SMTP). `latest`
 * is the protocol the newest message routed there had: an AMQP connection opened now uses its
 * URL and credentials (a changed password in the URL keeps the ready queue, not the old password).
 */
export function pushOpener(p: PushProtocol, latest: () => PushProtocol, source: () => EgressSource, facts: (job: Job) => PushFacts | undefined): (signal: AbortSignal) => Promise<DeliverySession> {
  if (p.kind === 'http') {
    const origin = p.origin;
    const http = (j: Job) => {
      const f = facts(j);
      return f?.protocol.kind === 'http' ? { protocol: f.protocol, meta: f.meta, queue: f.queue } : undefined;
    };
    return () => Promise.resolve(new HttpSession(origin, source(), http));
  }
  const amqp = (j: Job) => {
    const f = facts(j);
    return f?.protocol.kind === 'amqp' ? { protocol: f.protocol, meta: f.meta, queue: f.queue, domain: f.domain } : undefined;
  };
  return (signal) => {
    const now = latest();
    return openAmqpSession(now.kind === 'amqp' ? now : p, source(), amqp, signal);
  };
}
