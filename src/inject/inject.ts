/**
 * One inject request through the reception path shared with SMTP: every generated message gets
 * the tenant/campaign headers read, trace headers, DKIM, a durable spool write and a Reception
 * record naming the HTTP peer, before the answer is sent. The messages are spooled in batches
 * (src/smtp/reception-batch.ts): one lmdb transaction and one fsync per batch, all of a batch
 * stored or none of it, so the counts of the answer are exact even when the spool fails.
 *
 * Every template is rendered for every recipient before anything is spooled, so that a template
 * error refuses the whole request with nothing spooled. Renderings are kept up to a budget;
 * past it they are redone at spool time (a large request costs CPU, not RAM).
 */
import { LISTENER_DEFAULTS } from '../smtp/listener-config.js';
import type { IncomingMessage, ReceptionDeps, ReceptionSource } from '../smtp/reception.js';
import { receiveBatch } from '../smtp/reception-batch.js';
import { compileRequest, renderedSize } from './generate.js';
import type { Generator, Rendered } from './generate.js';
import type { TemplateRenderer } from './render-protocol.js';
import type { InjectV1Request, InjectV1Response } from './schema.js';

/** The HTTP client an inject request came from. */
export interface InjectPeer {
  readonly ip: string;
  /** the HTTP listener's name (logged as the message's `listener` meta) */
  readonly listener?: string;
  readonly authUser?: string;
  readonly tls?: { readonly version: string; readonly cipher: string };
}

/** The spool refused writes part-way: `partial` says what was spooled before. */
export class SpoolUnavailableError extends Error {
  readonly code = 'SPOOL_UNAVAILABLE';
  constructor(readonly partial: InjectV1Response) {
    super(`the spool is unavailable: ${partial.success_count} of ${partial.success_count + partial.fail_count} messages were spooled`);
    this.name = 'SpoolUnavailableError';
  }
}

/** The rendered message too large (413): `field` names the recipient. */
export class MessageTooLargeError extends Error {
  readonly code = 'MESSAGE_TOO_LARGE';
  constructor(readonly field: string, readonly size: number, readonly limit: number) {
    super(`${field}: the message would be about ${size} bytes, over the limit of ${limit} bytes (the HTTP listener's max_message_size)`);
    this.name = 'MessageTooLargeError';
  }
}

/** The client went away before anything was spooled: nothing was, nobody is there to answer. */
export class ClientGoneError extends Error {
  readonly code = 'CLIENT_GONE';
  constructor() {
    super('the client went away before the messages were spooled; none was');
    this.name = 'ClientGoneError';
  }
}

/** What one request's messages may cost. */
export interface InjectLimits {
  /** bytes of one generated message (and characters of one rendered template part) */
  readonly maxMessageSize: number;
  /** wall-clock time of one template rendering */
  readonly renderTimeMs: number;
}

export const INJECT_LIMIT_DEFAULTS: InjectLimits = Object.freeze({ maxMessageSize: 20 * 1024 * 1024, renderTimeMs: 1000 });

/** renderings kept between the check pass and the spool pass, per request */
const KEEP_RENDERED_BYTES = 64 * 1024 * 1024;
/**
 * A request's messages are spooled in batches of at most this many messages / bytes (one
 * lmdb transaction and one fsync each): building a batch holds the event loop, and lmdb holds
 * a copy of a batch until its commit.
 */
const BATCH_MESSAGES = 256;
const BATCH_BYTES = 8 * 1024 * 1024;
const SPOOL_DOWN = '451 4.3.0 spool unavailable, please try again later';
const CLIENT_GONE = 'not spooled: the client went away';

/**
 * Generates and spools one message per recipient. Throws InjectRequestError / TemplateError /
 * MessageTooLargeError (nothing spooled) or SpoolUnavailableError (with the counts of what was
 * spooled). `gone` aborts when the client disconnects: before the first spool write the request
 * stops (ClientGoneError, nothing spooled); later, the batches not yet written are not (their
 * recipients are failed with "client went away"), so a client that gave up and retries
 * duplicates as little as can be.
 */
export async function injectV1(deps: ReceptionDeps, renderer: TemplateRenderer, req: InjectV1Request, peer: InjectPeer, limits: InjectLimits = INJECT_LIMIT_DEFAULTS, gone?: AbortSignal): Promise<InjectV1Response> {
  const gen = await compileRequest(req, { maxChars: limits.maxMessageSize, timeMs: limits.renderTimeMs }, renderer);
  try {
    return await generateAndSpool(deps, gen, req, peer, limits, gone);
  } finally {
    gen.close();
  }
}

async function generateAndSpool(deps: ReceptionDeps, gen: Generator, req: InjectV1Request, peer: InjectPeer, limits: InjectLimits, gone?: AbortSignal): Promise<InjectV1Response> {
  const recipients = req.recipients;

  // pass 1: every rendering must succeed before any message is spooled
  const kept: (Rendered | undefined)[] = new Array(recipients.length);
  let keptBytes = 0;
  let slice = Date.now();
  for (let i = 0; i < recipients.length; ) {
    for (const r of await gen.render(recipients, i)) {
      const size = renderedSize(r);
      if (size + gen.fixedBytes > limits.maxMessageSize) throw new MessageTooLargeError(`recipients/${i}`, size + gen.fixedBytes, limits.maxMessageSize);
      keptBytes += size;
      if (keptBytes <= KEEP_RENDERED_BYTES) kept[i] = r;
      i++;
    }
    if (gone?.aborted) throw new ClientGoneError();
    // a long request of literal parts must not hold the event loop (the renderer's answers
    // leave it free): other requests and sessions go on, and a disconnect is seen
    if (Date.now() - slice >= 10) {
      await new Promise<void>((res) => setImmediate(res));
      slice = Date.now();
    }
  }
  if (gone?.aborted) throw new ClientGoneError();

  const snapshot = deps.store.current;
  const th = req.trace_headers ?? {};
  const source: ReceptionSource = {
    listener: {
      name: peer.listener ?? 'http',
      hostname: snapshot.main.hostname,
      traceHeaders: {
        // kumo-ts names the HTTP peer in a Received header unless the request says not to
        received: th.received_header ?? true,
        supplemental: th.supplemental_header ?? true,
        headerName: th.header_name ?? LISTENER_DEFAULTS.supplementalHeader,
      },
      deferredSpool: req.deferred_spool === true,
    },
    peer: { ip: peer.ip },
    ...(peer.tls ? { tls: peer.tls } : {}),
    ...(peer.authUser !== undefined ? { authUser: peer.authUser } : {}),
    protocol: 'HTTP',
    transmission: peer.tls ? 'HTTPS' : 'HTTP',
  };

  const res: InjectV1Response = { success_count: 0, fail_count: 0, failed_recipients: [], errors: [] };
  const fail = (email: string, why: string) => {
    res.fail_count++;
    res.failed_recipients.push(email);
    res.errors.push(`${email}: ${why}`);
  };
  let spoolDown = false;
  const spoolBatch = async (batch: readonly { email: string; m: IncomingMessage }[]) => {
    let outcomes;
    try {
      outcomes = await receiveBatch(deps, batch.map((b) => b.m));
      /* c8 ignore start -- receiveBatch refuses per message; it throws only on a bug, before its spool write (none stored) */
    } catch (e) {
      // receiveBatch throws only before its spool write: none of the batch is stored
      for (const b of batch) fail(b.email, (e as Error).message);
      return;
    }
    /* c8 ignore stop */
    outcomes.forEach((out, k) => {
      if (out.ok) return void res.success_count++;
      if (out.reason === 'spool') spoolDown = true;
      fail(batch[k]!.email, `${out.code} ${out.reply}`);
    });
  };

  // pass 2: batches of messages, each batch one durable spool write; the next batch is built
  // while the previous one is being written
  let writing: Promise<void> = Promise.resolve();
  let i = 0;
  while (i < recipients.length) {
    const batch: { email: string; m: IncomingMessage }[] = [];
    let bytes = 0;
    for (; i < recipients.length && batch.length < BATCH_MESSAGES && bytes < BATCH_BYTES; i++) {
      const r = recipients[i]!;
      try {
        // renderings past the budget of pass 1 are redone, a slice at a time
        if (!kept[i]) (await gen.render(recipients, i)).forEach((x, k) => (kept[i + k] = x));
        const msg = await gen.build(r, kept[i]!);
        // the estimate of pass 1 leaves out MIME headers and encodings
        if (msg.data.length > limits.maxMessageSize) {
          fail(r.email, `552 5.3.4 the message is ${msg.data.length} bytes, over the limit of ${limits.maxMessageSize}`);
          kept[i] = undefined;
          continue;
        }
        bytes += msg.data.length;
        batch.push({ email: r.email, m: { ...source, ...msg, sender: req.envelope_sender, recipients: [r.email], reportOnly: [] } });
        /* c8 ignore start -- the request's checks and templates passed in pass 1; a second rendering or the building fails only if the renderer or the composer does: that recipient alone is refused */
      } catch (e) {
        fail(r.email, (e as Error).message);
      }
      /* c8 ignore stop */
      kept[i] = undefined;
    }
    await writing;
    if (gone?.aborted) {
      for (const b of batch) fail(b.email, CLIENT_GONE);
      for (; i < recipients.length; i++) fail(recipients[i]!.email, CLIENT_GONE);
      break;
    }
    if (spoolDown) {
      // the spool refuses writes: the rest is not attempted
      for (const b of batch) fail(b.email, SPOOL_DOWN);
      for (; i < recipients.length; i++) fail(recipients[i]!.email, SPOOL_DOWN);
      break;
    }
    writing = spoolBatch(batch);
  }
  await writing;
  if (spoolDown) throw new SpoolUnavailableError(res);
  return res;
}
