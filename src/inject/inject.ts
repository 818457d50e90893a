/**
 * One inject request through the reception path shared with SMTP: every generated message gets
 * the tenant/campaign headers read, trace headers, DKIM, a durable spool write (group-committed
 * with the request's other messages) and a Reception record naming the HTTP peer, before the
 * answer is sent.
 *
 * Every template is rendered for every recipient before anything is spooled, so that a template
 * error refuses the whole request with nothing spooled. Renderings are kept up to a budget;
 * past it they are redone at spool time (a large request costs CPU, not RAM).
 */
import { LISTENER_DEFAULTS } from '../smtp/listener-config.js';
import { receiveMessage } from '../smtp/reception.js';
import type { ReceptionDeps, ReceptionSource } from '../smtp/reception.js';
import { compileRequest, renderedSize } from './generate.js';
import type { Rendered } from './generate.js';
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

/** renderings kept between the check pass and the spool pass, per request */
const KEEP_RENDERED_BYTES = 64 * 1024 * 1024;
/** messages of one request being composed/spooled at once (their fsyncs are shared) */
const CONCURRENCY = 128;

/**
 * Generates and spools one message per recipient. Throws InjectRequestError / TemplateError
 * (nothing spooled) or SpoolUnavailableError (with the counts of what was spooled).
 */
export async function injectV1(deps: ReceptionDeps, req: InjectV1Request, peer: InjectPeer): Promise<InjectV1Response> {
  const gen = compileRequest(req);
  const recipients = req.recipients;

  // pass 1: every rendering must succeed before any message is spooled
  const kept: (Rendered | undefined)[] = new Array(recipients.length);
  let keptBytes = 0;
  for (let i = 0; i < recipients.length; i++) {
    const r = gen.render(recipients[i]!);
    keptBytes += renderedSize(r);
    if (keptBytes <= KEEP_RENDERED_BYTES) kept[i] = r;
    // a long request must not hold the event loop: other requests and sessions go on
    if (i % 256 === 255) await new Promise<void>((res) => setImmediate(res));
  }

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
  let spoolDown = false;
  let next = 0;
  const worker = async () => {
    while (next < recipients.length) {
      const i = next++;
      const r = recipients[i]!;
      try {
        if (spoolDown) throw new Error('4.3.0 spool unavailable, please try again later');
        const msg = await gen.build(r, kept[i] ?? gen.render(r));
        kept[i] = undefined;
        const out = await receiveMessage(deps, { ...source, ...msg, sender: req.envelope_sender, recipients: [r.email], reportOnly: [] });
        if (out.ok) {
          res.success_count++;
          continue;
        }
        if (out.reason === 'spool') spoolDown = true;
        throw new Error(`${out.code} ${out.reply}`);
      } catch (e) {
        res.fail_count++;
        res.failed_recipients.push(r.email);
        res.errors.push(`${r.email}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, recipients.length) }, worker));
  if (spoolDown) throw new SpoolUnavailableError(res);
  return res;
}
