/**
 * Turns one inject request into one message per recipient, as KumoMTA does: templates are
 * compiled once, then rendered per recipient with the global substitutions, the recipient's
 * own over them, and the recipient's `email` and `name`.
 */
import { addressProblem } from './address.js';
import { ComposedShape, completeMessage } from './mime.js';
import type { MessageShape, PreparedAttachment, RecipientParts } from './mime.js';
import type { BuilderContent, InjectRecipient, InjectV1Request } from './schema.js';
import { compileTemplate } from './templates.js';
import type { CompiledTemplate, Variables } from './templates.js';
import type { RenderLimits } from './template-budget.js';

/** a header field name (RFC 5322 §2.2: printable ASCII but ':') */
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** A request that cannot be served as it is (400): `field` names the part of the body. */
export class InjectRequestError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InjectRequestError';
  }
}

/** The rendered template parts of one recipient (the strings; the MIME is built from them). */
export type Rendered = { readonly kind: 'raw'; readonly text: string } | { readonly kind: 'builder'; readonly subject?: string; readonly headers: readonly (readonly [string, string])[]; readonly text?: string; readonly html?: string };

/** One recipient's message; `headerLength` (header block and blank line) when the generator knows it. */
export interface GeneratedMessage {
  readonly data: Buffer;
  readonly headerLength?: number;
}

export interface Generator {
  /** bytes every message carries whatever the templates render (attachments, base64-encoded) */
  readonly fixedBytes: number;
  /** renders one recipient's parts; throws a TemplateError naming the part */
  render(r: InjectRecipient): Rendered;
  /** the message for one recipient */
  build(r: InjectRecipient, rendered: Rendered): Promise<GeneratedMessage>;
}

/**
 * Checks what the JSON Schema cannot (addresses with a reason, base64, a body part) and
 * compiles the templates; each rendering is held to `limits`.
 */
export function compileRequest(req: InjectV1Request, limits: RenderLimits): Generator {
  const check = (field: string, s: string) => {
    const p = addressProblem(s);
    if (p) throw new InjectRequestError(field, `${p}: ${JSON.stringify(s)}`);
  };
  check('envelope_sender', req.envelope_sender);
  const name = req.trace_headers?.header_name;
  if (name !== undefined && !HEADER_NAME.test(name)) throw new InjectRequestError('trace_headers/header_name', `is not a header field name (printable ASCII without spaces or ':'): ${JSON.stringify(name)}`);
  req.recipients.forEach((r, i) => check(`recipients/${i}/email`, r.email));
  const dialect = req.template_dialect ?? 'Jinja';
  // nunjucks takes any object with an own "__keywords" for a macro call's keyword arguments
  // (and deletes from it): data must not pass for one
  dropKeywordMarkers(req.substitutions);
  for (const r of req.recipients) dropKeywordMarkers(r.substitutions);
  const global = req.substitutions ?? {};
  const vars = (r: InjectRecipient): Variables => ({ ...global, email: r.email, ...(r.name != null ? { name: r.name } : {}), ...r.substitutions });
  const senderDomain = req.envelope_sender.slice(req.envelope_sender.lastIndexOf('@') + 1);

  if (typeof req.content === 'string') {
    const t = compileTemplate('content', req.content, { html: false, dialect });
    return {
      fixedBytes: 0,
      render: (r) => ({ kind: 'raw', text: t.render(vars(r), limits) }),
      build: async (_r, rendered) => ({ data: completeMessage((rendered as { text: string }).text, senderDomain) }),
    };
  }

  const c: BuilderContent = req.content;
  if (c.text_body == null && c.html_body == null) throw new InjectRequestError('content', 'needs at least one of text_body and html_body');
  if (c.from) check('content/from/email', c.from.email);
  if (c.reply_to) check('content/reply_to/email', c.reply_to.email);
  for (const name of Object.keys(c.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new InjectRequestError('content/headers', `has an invalid header name ${JSON.stringify(name)}`);
  }
  const subject = c.subject != null ? compileTemplate('content/subject', c.subject, { html: false, dialect }) : undefined;
  const headers: [string, CompiledTemplate][] = Object.entries(c.headers ?? {}).map(([n, v]) => [n, compileTemplate(`content/headers/${n}`, v, { html: false, dialect })]);
  const text = c.text_body != null ? compileTemplate('content/text_body', c.text_body, { html: false, dialect }) : undefined;
  const html = c.html_body != null ? compileTemplate('content/html_body', c.html_body, { html: true, dialect }) : undefined;
  (c.attachments ?? []).forEach((a, i) => {
    // these become header fields of the part: a line break would end the field and start another
    for (const [k, v] of [['content_type', a.content_type], ['file_name', a.file_name], ['content_id', a.content_id]] as const)
      if (typeof v === 'string' && CONTROL.test(v)) throw new InjectRequestError(`content/attachments/${i}/${k}`, `has a line break or another control character: ${JSON.stringify(v)}`);
  });
  const attachments = (c.attachments ?? []).map((a, i): PreparedAttachment => ({
    content: a.base64 ? decodeBase64(`content/attachments/${i}/data`, a.data) : Buffer.from(a.data, 'utf8'),
    contentType: a.content_type,
    ...(a.file_name ? { fileName: a.file_name } : {}),
    ...(a.content_id ? { contentId: a.content_id } : {}),
  }));
  // a From / Reply-To in `headers` takes the place of the builder's
  const named = new Set(Object.keys(c.headers ?? {}).map((n) => n.toLowerCase()));
  const shape: MessageShape = {
    ...(c.from && !named.has('from') ? { from: c.from } : {}),
    ...(c.reply_to && !named.has('reply-to') ? { replyTo: c.reply_to } : {}),
    text: text !== undefined,
    html: html !== undefined,
    attachments,
    headerNames: headers.map(([n]) => n),
    fallbackDomain: senderDomain,
  };
  // the MIME structure is composed once, at the first message
  let composed: Promise<ComposedShape> | undefined;
  // one-line header values: a template must not add header fields of its own
  const oneLine = (s: string) => s.replace(/\r?\n|\r/g, ' ');
  return {
    fixedBytes: attachments.reduce((n, a) => n + Math.ceil(a.content.length / 3) * 4, 0),
    render(r) {
      const v = vars(r);
      return {
        kind: 'builder',
        ...(subject ? { subject: oneLine(subject.render(v, limits)) } : {}),
        headers: headers.map(([n, t]) => [n, oneLine(t.render(v, limits))] as const),
        ...(text ? { text: text.render(v, limits) } : {}),
        ...(html ? { html: html.render(v, limits) } : {}),
      };
    },
    async build(r, rendered) {
      if (rendered.kind !== 'builder') throw new Error('builder request rendered as raw');
      const parts: RecipientParts = {
        to: { email: r.email, name: r.name },
        ...(rendered.subject !== undefined ? { subject: rendered.subject } : {}),
        headers: rendered.headers,
        ...(rendered.text !== undefined ? { text: rendered.text } : {}),
        ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      };
      return (await (composed ??= ComposedShape.compose(shape))).build(parts);
    },
  };
}

/** Removes every own "__keywords" key from a JSON value, at any depth (without recursion: JSON may nest 10^5 deep). */
function dropKeywordMarkers(v: unknown): void {
  const stack: unknown[] = [v];
  const seen = new WeakSet<object>();
  while (stack.length) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
      continue;
    }
    if (Object.hasOwn(x, '__keywords')) delete (x as Record<string, unknown>).__keywords;
    for (const y of Object.values(x)) stack.push(y);
  }
}

function decodeBase64(field: string, data: string): Buffer {
  const s = data.replace(/[\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) throw new InjectRequestError(field, 'is not valid base64');
  return Buffer.from(s, 'base64');
}

/** Rough byte size of a rendering (what holding it costs). */
export function renderedSize(r: Rendered): number {
  if (r.kind === 'raw') return r.text.length;
  let n = (r.subject?.length ?? 0) + (r.text?.length ?? 0) + (r.html?.length ?? 0);
  for (const [k, v] of r.headers) n += k.length + v.length;
  return n;
}
