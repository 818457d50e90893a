/**
 * Turns one inject request into one message per recipient, as KumoMTA does: templates are
 * compiled once, then rendered per recipient with the global substitutions, the recipient's
 * own over them, and the recipient's `email` and `name`.
 */
import { addressProblem } from './address.js';
import { ComposedShape, completeMessage } from './mime.js';
import type { MessageShape, PreparedAttachment, RecipientParts } from './mime.js';
import type { BuilderContent, InjectRecipient, InjectV1Request } from './schema.js';
import type { TemplateJob, TemplatePart, TemplateRenderer } from './render-protocol.js';
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
  /**
   * Renders the recipients from `from` on: at least one, as many as one slice of the renderer's
   * work takes. Throws a TemplateError naming the part.
   */
  render(recipients: readonly InjectRecipient[], from: number): Promise<Rendered[]>;
  /** the message for one recipient */
  build(r: InjectRecipient, rendered: Rendered): Promise<GeneratedMessage>;
  /** the request is done: its templates are forgotten */
  close(): void;
}

/** A template part: literal (no template syntax, or the Static dialect), or the renderer's `slot`. */
type Source = { readonly text: string } | { readonly slot: number };

/** renderings asked of the renderer at once (it may answer fewer) */
const RENDER_SLICE = 256;

/**
 * Checks what the JSON Schema cannot (addresses with a reason, base64, a body part) and
 * has `renderer` compile the templates; each rendering is held to `limits`. Parts without
 * template syntax never reach the renderer; a request with none does not use it.
 */
export async function compileRequest(req: InjectV1Request, limits: RenderLimits, renderer: TemplateRenderer): Promise<Generator> {
  const check = (field: string, s: string) => {
    const p = addressProblem(s);
    if (p) throw new InjectRequestError(field, `${p}: ${JSON.stringify(s)}`);
  };
  check('envelope_sender', req.envelope_sender);
  const name = req.trace_headers?.header_name;
  if (name !== undefined && !HEADER_NAME.test(name)) throw new InjectRequestError('trace_headers/header_name', `is not a header field name (printable ASCII without spaces or ':'): ${JSON.stringify(name)}`);
  req.recipients.forEach((r, i) => check(`recipients/${i}/email`, r.email));
  const dialect = req.template_dialect ?? 'Jinja';
  // data must not pass for keyword arguments or set a prototype (cleanData)
  cleanData(req.substitutions, 'substitutions');
  req.recipients.forEach((r, i) => cleanData(r.substitutions, `recipients/${i}/substitutions`));
  const senderDomain = req.envelope_sender.slice(req.envelope_sender.lastIndexOf('@') + 1);
  const slots: TemplatePart[] = [];
  const source = (part: string, src: string, html: boolean): Source => (dialect === 'Static' || !/\{[{%#]/.test(src) ? { text: src } : { slot: slots.push({ part, src, html }) - 1 });
  const text = (s: Source, row: readonly string[] | undefined) => ('text' in s ? s.text : row![s.slot]!);
  /** one row of renderings per recipient from `from` on (rows of nothing when every part is literal) */
  let job: TemplateJob | undefined;
  const rows = async (recipients: readonly InjectRecipient[], from: number): Promise<(string[] | undefined)[]> => {
    const slice = recipients.slice(from, from + RENDER_SLICE);
    return job ? job.render(slice, limits) : slice.map(() => undefined);
  };
  const open = async () => {
    if (slots.length) job = await renderer.open({ parts: slots, global: req.substitutions ?? {} });
  };

  if (typeof req.content === 'string') {
    const content = source('content', req.content, false);
    await open();
    return {
      fixedBytes: 0,
      render: async (recipients, from) => (await rows(recipients, from)).map((row): Rendered => ({ kind: 'raw', text: text(content, row) })),
      build: async (_r, rendered) => ({ data: completeMessage((rendered as { text: string }).text, senderDomain) }),
      close: () => job?.close(),
    };
  }

  const c: BuilderContent = req.content;
  if (c.text_body == null && c.html_body == null) throw new InjectRequestError('content', 'needs at least one of text_body and html_body');
  if (c.from) check('content/from/email', c.from.email);
  if (c.reply_to) check('content/reply_to/email', c.reply_to.email);
  for (const name of Object.keys(c.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new InjectRequestError('content/headers', `has an invalid header name ${JSON.stringify(name)}`);
  }
  const subject = c.subject != null ? source('content/subject', c.subject, false) : undefined;
  const headers: [string, Source][] = Object.entries(c.headers ?? {}).map(([n, v]) => [n, source(`content/headers/${n}`, v, false)]);
  const textBody = c.text_body != null ? source('content/text_body', c.text_body, false) : undefined;
  const htmlBody = c.html_body != null ? source('content/html_body', c.html_body, true) : undefined;
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
    text: textBody !== undefined,
    html: htmlBody !== undefined,
    attachments,
    headerNames: headers.map(([n]) => n),
    fallbackDomain: senderDomain,
  };
  // the MIME structure is composed once, at the first message
  let composed: Promise<ComposedShape> | undefined;
  // one-line header values: a template must not add header fields of its own (nor put other
  // control characters, NUL included, into one)
  const oneLine = (s: string) => s.replace(/\r?\n|[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
  await open();
  return {
    fixedBytes: attachments.reduce((n, a) => n + Math.ceil(a.content.length / 3) * 4, 0),
    async render(recipients, from) {
      return (await rows(recipients, from)).map((row): Rendered => ({
        kind: 'builder',
        ...(subject ? { subject: oneLine(text(subject, row)) } : {}),
        headers: headers.map(([n, t]) => [n, oneLine(text(t, row))] as const),
        ...(textBody ? { text: text(textBody, row) } : {}),
        ...(htmlBody ? { html: text(htmlBody, row) } : {}),
      }));
    },
    close: () => job?.close(),
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

/** keys of one object of the substitutions: nunjucks' filters and loops walk objects whole */
const MAX_OBJECT_KEYS = 100_000;

/**
 * Makes request data safe to hand to nunjucks, at any depth (without recursion: JSON may nest
 * 10^5 deep): removes own "__keywords" keys (nunjucks takes an object that has one for a macro
 * call's keyword arguments, and deletes from it) and "__proto__" keys (JSON.parse makes them
 * own keys; nunjucks copies the top level by assignment, which sets a prototype instead), and
 * refuses an object of more than MAX_OBJECT_KEYS keys (`field` names the part of the request).
 */
function cleanData(v: unknown, field: string): void {
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
    const o = x as Record<string, unknown>;
    if (Object.hasOwn(o, '__keywords')) delete o.__keywords;
    if (Object.hasOwn(o, '__proto__')) delete o.__proto__;
    const keys = Object.keys(o);
    if (keys.length > MAX_OBJECT_KEYS) throw new InjectRequestError(field, `has an object of ${keys.length} keys, more than ${MAX_OBJECT_KEYS}`);
    for (const k of keys) stack.push(o[k]);
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
