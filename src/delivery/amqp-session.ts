// AMQP delivery of mail: each message published (persistent, mandatory, confirmed) to a broker.
import { randomUUID } from 'node:crypto';
import { ConfirmLink } from '../amqp/confirm-link.js';
import type { PublishResult } from '../amqp/confirm-link.js';
import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import { loadKey } from '../keys/key-source.js';
import type { Job } from '../queue/job.js';
import type { SpoolMeta } from '../spool/types.js';
import type { AmqpProtocol, RoutingKeyField } from './amqp-protocol.js';
import { envelopeJson } from './envelope-json.js';
import type { ReadyQueueIdentity } from './ready-queue-name.js';
import type { SmtpReply } from './response.js';
import { ConnectError, internalReply } from './smtp-client.js';
import type { Peer, SendResult } from './smtp-client.js';

/** The protocol part of an AMQP ready queue name (`source->amqp:endpoint@amqp_client`). */
export const AMQP_CLIENT = 'amqp_client';

/** The header each message's spool id is in; it also tells a returned (unroutable) message. */
const ID_HEADER = 'x-kumo-id';

/**
 * The ready queue of AMQP deliveries to one broker endpoint (user, host, port, vhost) from one
 * egress source: its site is `amqp:<endpoint>`, so shaping applies per broker as per SMTP site.
 */
export function amqpReadyQueue(protocol: AmqpProtocol, source: string): { id: ReadyQueueIdentity; route: Route } {
  const site = `amqp:${protocol.endpoint}`;
  const name = `${source}->${site}@${AMQP_CLIENT}`;
  return {
    id: { site, mxSite: site, ownSite: false, name, key: name, source, tls: protocol.endpoint.startsWith('amqps:') ? 'Required' : 'Disabled', port: protocol.port },
    route: { site, mxHosts: [protocol.host], hosts: [{ name: protocol.host, addrs: [protocol.host], port: protocol.port }], explicit: true },
  };
}

export function isAmqpReadyQueue(name: string): boolean {
  return name.endsWith(`@${AMQP_CLIENT}`);
}

/** What one publish needs besides the envelope and body (read from the current config per message). */
export interface AmqpPublishFacts {
  readonly protocol: AmqpProtocol;
  readonly meta: SpoolMeta;
  readonly queue: string;
  /** the recipient domain */
  readonly domain: string;
}

/** The routing key with its `{field}` placeholders filled (the compiler allowed only known fields). */
export function amqpRoutingKey(p: AmqpProtocol, f: Omit<AmqpPublishFacts, 'protocol'>, from: string): string {
  if (!p.routingKey.includes('{')) return p.routingKey;
  const vals: Record<RoutingKeyField, string> = { id: f.meta.id, queue: f.queue, domain: f.domain, tenant: f.meta.tenant ?? '', campaign: f.meta.campaign ?? '', sender: from };
  return p.routingKey.replace(/\{([a-z]+)\}/g, (all, k: string) => vals[k as RoutingKeyField] ?? all);
}

/** The URL with the password from auth (a key source) put in. */
async function connectUrl(p: AmqpProtocol): Promise<string> {
  if (!p.auth) return p.url;
  const u = new URL(p.url);
  u.username = encodeURIComponent(p.auth.username);
  u.password = encodeURIComponent((await loadKey(p.auth.password)).toString('utf8').trim());
  return u.href;
}

/**
 * Opens one connection of an AMQP ready queue (a ConfirmLink: one connection, one confirm
 * channel), so connection_limit bounds the broker connections and the unconfirmed messages.
 * A refused connection, a failed handshake or a missing secret is a ConnectError: a
 * TransientFailure for the next message, as an SMTP connection failure is.
 */
export async function openAmqpSession(p: AmqpProtocol, source: EgressSource, facts: (job: Job) => AmqpPublishFacts | undefined, signal: AbortSignal): Promise<AmqpSession> {
  const peer: Peer = { name: p.host, addr: p.host, port: p.port };
  const connect = () => connectLink(p, source);
  let link: ConfirmLink;
  try {
    link = await connect();
  } catch (e) {
    throw new ConnectError(connectFailure(p, e), peer);
  }
  if (signal.aborted) {
    link.kill();
    throw new ConnectError(internalReply('AMQP connect aborted: shutting down', 'CONN', 451, '4.4.2'), peer);
  }
  return new AmqpSession(p, link, connect, peer, facts);
}

async function connectLink(p: AmqpProtocol, source: EgressSource): Promise<ConfirmLink> {
  return ConfirmLink.open(await connectUrl(p), { timeoutMs: p.timeoutMs, tagHeader: ID_HEADER, ...(source.sourceAddress ? { localAddress: source.sourceAddress } : {}) });
}

function connectFailure(p: AmqpProtocol, e: unknown): SmtpReply {
  const err = e as Error & { code?: string };
  return internalReply(`AMQP connect to ${p.endpoint} failed: ${err.message || err.code || String(e)}`, 'CONN', 451, '4.4.1');
}

/**
 * A connection of an AMQP ready queue. Each message is one publish; the broker's answer is the
 * outcome of every recipient of it, in SMTP terms so the queue's usual rules apply: confirmed →
 * 250 (Delivery); nack → 451; returned unroutable → 451 4.4.4, or 550 5.4.4 with
 * `unroutable = "bounce"`; a lost connection or no confirm in time → 451 (the connection is
 * then dropped and the ready queue opens a new one).
 */
export class AmqpSession {
  readonly id = randomUUID();
  readonly tls = undefined;
  readonly local = undefined;

  private readonly endpoint: string;
  private closed = false;

  constructor(
    private readonly protocol: AmqpProtocol,
    private link: ConfirmLink,
    private readonly reconnect: () => Promise<ConfirmLink>,
    readonly peer: Peer,
    private readonly facts: (job: Job) => AmqpPublishFacts | undefined,
  ) {
    this.endpoint = protocol.endpoint;
  }

  get usable(): boolean {
    return !this.closed && this.link.usable;
  }

  /**
   * The link, reconnected if it died while this session waited idle for a message (the broker
   * restarted, or closed an idle connection): nothing was published on it, so the attempt is
   * the new connection's, and its failure is reported as a connect failure.
   */
  private async live(): Promise<ConfirmLink | SmtpReply> {
    if (this.link.usable) return this.link;
    if (this.closed) return amqpInternal('the AMQP session is closed (shutting down)', 451, '4.4.2');
    try {
      this.link = await this.reconnect();
      return this.link;
    } catch (e) {
      return connectFailure(this.protocol, e);
    }
  }

  async send(from: string, to: readonly string[], body: Buffer, opts: { job?: Job } = {}): Promise<SendResult> {
    const facts = opts.job ? this.facts(opts.job) : undefined;
    const reply = facts ? await this.publish(facts, from, to, body) : amqpInternal('the queue no longer delivers by AMQP', 451, '4.4.0');
    return new Map(to.map((r) => [r, reply]));
  }

  private async publish(f: AmqpPublishFacts, from: string, to: readonly string[], body: Buffer): Promise<SmtpReply> {
    const p = f.protocol;
    if (p.endpoint !== this.endpoint) return amqpInternal(`the queue's broker moved to ${p.endpoint}`, 451, '4.4.0');
    const key = amqpRoutingKey(p, f, from);
    if (Buffer.byteLength(key) > 255) return { code: 554, enhanced: '5.3.4', text: `kumo-ts: AMQP routing key "${key.slice(0, 60)}..." is longer than 255 bytes`, command: 'PUBLISH', internal: true };
    const m = f.meta;
    const headers: Record<string, unknown> = {
      ...p.headers,
      'x-kumo-sender': from,
      'x-kumo-recipients': [...to],
      'x-kumo-queue': f.queue,
      ...(m.tenant !== undefined ? { 'x-kumo-tenant': m.tenant } : {}),
      ...(m.campaign !== undefined ? { 'x-kumo-campaign': m.campaign } : {}),
    };
    const json = p.body === 'json';
    const link = await this.live();
    if (!(link instanceof ConfirmLink)) return link;
    const r = await link.publish([{
      exchange: p.exchange,
      routingKey: key,
      content: json ? Buffer.from(JSON.stringify(envelopeJson(m, f.queue, from, to, body))) : body,
      tag: m.id,
      properties: { headers, messageId: m.id, contentType: json ? 'application/json' : 'message/rfc822', timestamp: Math.floor(m.receivedAt / 1000), appId: 'kumo-ts' },
    }], p.timeoutMs);
    return publishReply(r, p, key);
  }

  async quit(): Promise<void> {
    this.closed = true;
    await this.link.close();
  }

  destroy(): void {
    this.closed = true;
    this.link.kill();
  }
}

/** A publish result in SMTP terms (command PUBLISH; transport failures are internal). */
export function publishReply(r: PublishResult, p: Pick<AmqpProtocol, 'exchange' | 'endpoint' | 'unroutable' | 'timeoutMs'>, key: string): SmtpReply {
  const where = `exchange "${p.exchange}" routing key "${key}"`;
  switch (r.kind) {
    case 'confirmed':
      return { code: 250, enhanced: '2.0.0', text: `AMQP confirmed: ${where}`, command: 'PUBLISH' };
    case 'nack':
      return { code: 451, enhanced: '4.3.0', text: `AMQP broker nacked the message (${where})`, command: 'PUBLISH' };
    case 'returned':
      return p.unroutable === 'bounce'
        ? { code: 550, enhanced: '5.4.4', text: `AMQP unroutable: ${where}: no queue is bound for it`, command: 'PUBLISH' }
        : { code: 451, enhanced: '4.4.4', text: `AMQP unroutable: ${where}: no queue is bound for it`, command: 'PUBLISH' };
    case 'lost':
      return amqpInternal(`AMQP connection to ${p.endpoint} lost before the confirm: ${r.reason}`, 451, '4.4.2');
    case 'timeout':
      return amqpInternal(`AMQP broker ${p.endpoint} did not confirm within ${Math.round(r.ms / 1000)}s`, 451, '4.4.1');
  }
}

function amqpInternal(text: string, code: number, enhanced: string): SmtpReply {
  return internalReply(text, 'PUBLISH', code, enhanced);
}
