/**
 * Header fields of generated messages, formatted exactly as a nodemailer MimeNode's
 * buildHeaders formats them (its public `encodeHeaderValue`: address formatting, punycode,
 * RFC 2047 words; then `foldLines` at 76; the name in nodemailer's Camel-Case), but with one
 * node per request instead of one per recipient: a MimeNode costs random bytes to make, and
 * buildHeaders normalizes every field name several times.
 */
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';

/** The parent of the nodes used here: as non-root nodes they add no Date, Message-ID or MIME-Version. */
const ROOT = new MimeNode('multipart/mixed', { baseBoundary: 'unused' });

const newNode = () => new MimeNode('text/plain', { rootNode: ROOT, parentNode: ROOT, newline: '\r\n', baseBoundary: 'unused' });

/** nodemailer's spelling of field names (`x-tenant` → `X-Tenant`, `message-id` → `Message-ID`), learned once per name. */
const names = new Map<string, string>();
const MAX_NAMES = 10_000;

/** The field name as nodemailer writes it (read back from a node's own output: no internal API). */
export function fieldName(name: string): string {
  let known = names.get(name);
  if (known === undefined) {
    const built = newNode().addHeader(name, 'a@example.com').buildHeaders();
    // the node's own Content-Type comes first; the field follows (a Bcc is never written; an
    // address-shaped value is written by every kind of field)
    const line = built.split('\r\n').find((l) => !/^Content-Type:/i.test(l)) ?? '';
    known = line.slice(0, line.indexOf(':')) || name;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(name, known);
  }
  return known;
}

export type FieldValue = string | { readonly name: string; readonly address: string };

/** Formats the fields of one request's messages; values that repeat from one recipient to the next are formatted once. */
export class HeaderFields {
  private readonly node = newNode();
  private readonly last = new Map<string, { value: string; text: string }>();

  /** `Name: value` folded, CRLF-terminated; '' for a field nodemailer leaves out (a Bcc, an empty value). */
  field(name: string, value: FieldValue): string {
    const key = fieldName(name);
    // buildHeaders drops Bcc (keepBcc is off): so does the composer's output
    if (key === 'Bcc') return '';
    if (typeof value !== 'string') return this.format(key, value);
    const seen = this.last.get(key);
    if (seen && seen.value === value) return seen.text;
    const text = this.format(key, value);
    this.last.set(key, { value, text });
    return text;
  }

  private format(key: string, value: FieldValue): string {
    const encoded = this.node.encodeHeaderValue(key, value);
    if (!encoded.trim()) return '';
    return `${foldLines(`${key}: ${encoded}`, 76)}\r\n`;
  }
}
