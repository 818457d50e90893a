import { headerEnd } from './message-headers.js';
import { decodeSupplemental } from './trace-headers.js';

/**
 * Just enough MIME to read the reports that listener_domains' log_oob / log_arf accept:
 * a multipart/report with a message/delivery-status part (RFC 3464, out-of-band bounces) or a
 * message/feedback-report part (RFC 5965, ARF complaints), plus the returned original message
 * or headers, where our supplemental header names the spool id of the message reported on.
 */
export interface DeliveryStatusReport {
  readonly kind: 'delivery-status';
  readonly reportingMta?: string;
  readonly recipients: readonly { recipient: string; action?: string; status?: string; diagnostic?: string; remoteMta?: string }[];
  /** spool id of the original message, from its supplemental header */
  readonly originalId?: string;
}

export interface FeedbackReport {
  readonly kind: 'feedback-report';
  readonly feedbackType?: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly originalId?: string;
}

export type Report = DeliveryStatusReport | FeedbackReport;

type Headers = Map<string, string>;

/** Header fields of a block (unfolded, names lower-cased, first occurrence wins). */
function parseFields(text: string): Headers {
  const out: Headers = new Map();
  for (const f of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const c = f.indexOf(':');
    if (c <= 0) continue;
    const k = f.slice(0, c).trim().toLowerCase();
    if (!out.has(k)) out.set(k, f.slice(c + 1).trim());
  }
  return out;
}

function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

function mediaType(value: string | undefined): string {
  return (value ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
}

interface Part {
  headers: Headers;
  body: string;
}

function splitEntity(text: string): Part {
  const end = headerEnd(Buffer.from(text, 'latin1'));
  return { headers: parseFields(text.slice(0, end)), body: text.slice(end) };
}

function multipartParts(body: string, boundary: string): Part[] {
  const delim = `--${boundary}`;
  const chunks = body.split(new RegExp(`\\r?\\n?${delim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n`));
  return chunks.slice(1).filter((c) => c.trim()).map((c) => splitEntity(c));
}

function unquoteType(v: string | undefined): string | undefined {
  return v?.replace(/^\s*[a-z0-9-]+\s*;\s*/i, '').trim();
}

function decodeBody(p: Part): string {
  const cte = (p.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (cte === 'base64') return Buffer.from(p.body.replace(/\s+/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable')
    return p.body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return p.body;
}

function originalIdFrom(parts: Part[], headerNames: readonly string[]): string | undefined {
  const names = headerNames.map((n) => n.toLowerCase());
  for (const p of parts) {
    const t = mediaType(p.headers.get('content-type'));
    if (t !== 'message/rfc822' && t !== 'text/rfc822-headers' && t !== 'message/rfc822-headers') continue;
    const orig = splitEntity(decodeBody(p));
    for (const n of names) {
      const v = orig.headers.get(n);
      const id = v ? decodeSupplemental(v)?.id : undefined;
      if (id) return id;
    }
  }
  return undefined;
}

/**
 * Reads a delivery-status or feedback report out of a raw message; undefined when the message
 * is not such a report. `headerNames`: supplemental header names to look for in the original.
 */
export function parseReport(msg: Buffer, headerNames: readonly string[] = ['X-KumoRef']): Report | undefined {
  const top = splitEntity(msg.toString('latin1'));
  const ct = top.headers.get('content-type');
  if (mediaType(ct) !== 'multipart/report') return undefined;
  const boundary = param(ct, 'boundary');
  if (!boundary) return undefined;
  const parts = multipartParts(top.body, boundary);
  const originalId = originalIdFrom(parts, headerNames);
  const ds = parts.find((p) => mediaType(p.headers.get('content-type')) === 'message/delivery-status');
  if (ds) {
    const blocks = decodeBody(ds).split(/\r?\n\s*\r?\n/).map(parseFields).filter((b) => b.size);
    const perMessage = blocks[0];
    const recipients = blocks
      .filter((b) => b.has('final-recipient') || b.has('original-recipient'))
      .map((b) => ({
        recipient: unquoteType(b.get('final-recipient') ?? b.get('original-recipient')) ?? '',
        action: b.get('action')?.toLowerCase(),
        status: b.get('status'),
        diagnostic: unquoteType(b.get('diagnostic-code')),
        remoteMta: unquoteType(b.get('remote-mta')),
      }));
    return { kind: 'delivery-status', reportingMta: unquoteType(perMessage?.get('reporting-mta')), recipients, originalId };
  }
  const fb = parts.find((p) => mediaType(p.headers.get('content-type')) === 'message/feedback-report');
  if (fb) {
    const fields = Object.fromEntries(parseFields(decodeBody(fb)));
    return { kind: 'feedback-report', feedbackType: fields['feedback-type'], fields, originalId };
  }
  return undefined;
}
