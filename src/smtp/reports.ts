import { parseArf } from './arf-report.js';
import type { ArfReport } from './arf-report.js';
import { decodeBody, first, leafParts, mediaType, param, parseFields, reportAddress, splitEntity, utf8 } from './mime-parts.js';
import type { Part } from './mime-parts.js';
import { decodeSupplemental } from './trace-headers.js';

export { reportAddress };

/**
 * The reports that listener_domains' log_oob / log_arf accept: a multipart/report with a
 * message/delivery-status (RFC 3464; message/global-delivery-status, RFC 6533) or a
 * message/feedback-report part (RFC 5965), as KumoMTA's kumo-log-types reads them; plus the
 * plain-text "Failure Notice" bounces that Yahoo and other qmail-derived MTAs send instead of
 * RFC 3464. Real-world quirks handled: angle brackets and comments around addresses
 * (`rfc822; <user@example.com>`), folded Diagnostic-Code lines, a reply code that is not the
 * first word of the diagnostic, reports nested in further multipart levels, base64 or
 * quoted-printable parts.
 */
export interface DsnRecipient {
  /** Original-Recipient if given, else Final-Recipient (KumoMTA's choice), address only */
  readonly recipient: string;
  readonly finalRecipient: string;
  readonly action?: string;
  /** "5.1.1" (comment dropped) */
  readonly status?: string;
  /** "smtp" for an SMTP reply */
  readonly diagnosticType?: string;
  readonly diagnostic?: string;
  readonly remoteMta?: string;
  /** epoch ms */
  readonly lastAttempt?: number;
}

export interface DeliveryStatusReport {
  readonly kind: 'delivery-status';
  readonly reportingMta?: string;
  readonly recipients: readonly DsnRecipient[];
  /** spool id of the original message, from its supplemental header */
  readonly originalId?: string;
}

export interface FeedbackReport {
  readonly kind: 'feedback-report';
  /** KumoMTA's feedback_report object */
  readonly arf: ArfReport;
  readonly originalId?: string;
}

export type Report = DeliveryStatusReport | FeedbackReport;

/** "dns; mx.example.com (1.2.3.4)" → "mx.example.com (1.2.3.4)": the value after its type. */
function typed(value: string | undefined): { type?: string; value?: string } {
  if (value === undefined) return {};
  const semi = value.indexOf(';');
  return semi >= 0 ? { type: value.slice(0, semi).trim().toLowerCase(), value: value.slice(semi + 1).trim() } : { value: value.trim() };
}

function date(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value.replace(/\s*\([^()]*\)\s*$/, ''));
  return Number.isFinite(t) ? t : undefined;
}

function originalIdFrom(parts: readonly Part[], headerNames: readonly string[]): string | undefined {
  const names = headerNames.map((n) => n.toLowerCase());
  for (const p of parts) {
    const t = mediaType(p);
    if (t !== 'message/rfc822' && t !== 'text/rfc822-headers' && t !== 'message/rfc822-headers' && t !== 'message/global' && t !== 'message/global-headers') continue;
    const orig = splitEntity(decodeBody(p));
    for (const n of names) {
      for (const v of orig.headers.get(n) ?? []) {
        const id = decodeSupplemental(v.replace(/\s+/g, ''))?.id;
        if (id) return id;
      }
    }
  }
  return undefined;
}

function parseDeliveryStatus(text: string): { reportingMta?: string; recipients: DsnRecipient[] } {
  // blocks are separated by blank lines (whitespace-only lines count as blank)
  const blocks = utf8(text).split(/\r?\n[ \t]*\r?\n/).map(parseFields).filter((b) => b.size);
  const perMessage = blocks[0] && !blocks[0].has('final-recipient') ? blocks[0] : undefined;
  const recipients: DsnRecipient[] = [];
  for (const b of blocks) {
    const final = reportAddress(first(b, 'final-recipient'));
    const original = reportAddress(first(b, 'original-recipient'));
    if (!final && !original) continue;
    const status = /^\s*([245]\.\d{1,3}\.\d{1,3})/.exec(first(b, 'status') ?? '')?.[1];
    const diag = typed(first(b, 'diagnostic-code'));
    recipients.push({
      recipient: original || final!,
      finalRecipient: final ?? original!,
      action: first(b, 'action')?.trim().toLowerCase(),
      status,
      diagnosticType: diag.type,
      diagnostic: diag.value,
      remoteMta: typed(first(b, 'remote-mta')).value,
      lastAttempt: date(first(b, 'last-attempt-date')),
    });
  }
  return { reportingMta: typed(perMessage && first(perMessage, 'reporting-mta')).value, recipients };
}

const QMAIL_INTRO = /(Sorry, we were unable to deliver your message to the following address|This is the qmail-send program|I'm afraid I wasn't able to deliver your message to the following addresses)/i;

/**
 * A qmail-style text bounce (Yahoo's "Failure Notice"): `<address>:` then the remote reply,
 * up to a blank line, per failed recipient; permanent failures.
 */
function parseQmailText(top: Part): DeliveryStatusReport | undefined {
  const text = utf8(decodeBody(top)).split(/\r?\n--- (?:Below this line|Enclosed is a copy)/i)[0]!;
  if (!QMAIL_INTRO.test(text)) return undefined;
  const recipients: DsnRecipient[] = [];
  const re = /^<([^<>\s]+@[^<>\s]+)>:[ \t]*\r?\n([\s\S]*?)(?=\r?\n[ \t]*\r?\n|\r?\n<[^<>\s]+>:|(?![\s\S]))/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const said = m[2]!.replace(/\s+/g, ' ').trim().replace(/^Remote host said:\s*/i, '');
    const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(said)?.[1];
    recipients.push({ recipient: m[1]!, finalRecipient: m[1]!, action: 'failed', status: status ?? '5.0.0', diagnosticType: 'smtp', diagnostic: said });
  }
  if (!recipients.length) return undefined;
  const from = /@([^>\s]+)>?\s*$/.exec(first(top.headers, 'from') ?? '')?.[1];
  return { kind: 'delivery-status', reportingMta: from, recipients };
}

/**
 * Reads a delivery-status or feedback report out of a raw message; undefined when the message
 * is not such a report. `headerNames`: supplemental header names to look for in the original.
 */
export function parseReport(msg: Buffer, headerNames: readonly string[] = ['X-KumoRef']): Report | undefined {
  const top = splitEntity(msg.toString('latin1'));
  const t = mediaType(top);
  if (t === 'text/plain') return parseQmailText(top);
  if (t !== 'multipart/report' || !param(first(top.headers, 'content-type'), 'boundary')) return undefined;
  const parts = leafParts(top);
  const originalId = originalIdFrom(parts, headerNames);
  const ds = parts.find((p) => mediaType(p) === 'message/delivery-status' || mediaType(p) === 'message/global-delivery-status');
  if (ds) return { kind: 'delivery-status', ...parseDeliveryStatus(decodeBody(ds)), originalId };
  const fb = parts.find((p) => mediaType(p) === 'message/feedback-report');
  if (fb) {
    const arf = parseArf(decodeBody(fb), parts);
    return arf ? { kind: 'feedback-report', arf, originalId } : undefined;
  }
  return undefined;
}

/**
 * KumoMTA's reading of an OOB reply: the code and text of an "smtp" diagnostic (the first
 * 3-digit reply code in it, so "host mx says: 550 5.4.1 ..." works too), else 550 and ''.
 */
export function oobResponse(r: DsnRecipient): { code: number; content: string } {
  if (r.diagnosticType === 'smtp' && r.diagnostic) {
    const m = /(?:^|\s)([245]\d\d)(?:[ :-]|$)([\s\S]*)/.exec(r.diagnostic);
    if (m) return { code: Number(m[1]), content: m[2]!.replace(/^[\s:]+/, '').trim() };
    return { code: 550, content: r.diagnostic };
  }
  return { code: 550, content: '' };
}
