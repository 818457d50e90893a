/**
 * `[logs] headers`: the message headers every log record of a message carries under `headers`,
 * as KumoMTA's logger captures them: keyed by the name as it appears in the message (first
 * occurrence), the value unfolded (a fold is one space) with RFC 2047 encoded words decoded, an array when the field
 * occurs more than once; a name ending in `*` matches every field with that prefix
 * (case-insensitive). Captured once at reception (from the header as spooled, trace headers
 * and DKIM-Signature included) and kept with the message, so delivery records need no spool read.
 */
export type CapturedHeaders = Record<string, string | string[]>;

/** The header block of `head` (up to its blank line) captured per `names`; undefined when nothing matched. */
export function captureHeaders(head: Buffer, names: readonly string[]): CapturedHeaders | undefined {
  if (!names.length) return undefined;
  const fields = parseFields(head);
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const f of fields) {
    const key = f.name.toLowerCase();
    const e = byName.get(key);
    if (e) e.values.push(f.value);
    else byName.set(key, { name: f.name, values: [f.value] });
  }
  const out: CapturedHeaders = {};
  const take = (key: string) => {
    const e = byName.get(key);
    if (!e) return;
    byName.delete(key);
    out[e.name] = e.values.length === 1 ? e.values[0]! : e.values;
  };
  for (const n of names) {
    if (n.endsWith('*')) {
      const prefix = n.slice(0, -1).toLowerCase();
      for (const key of [...byName.keys()]) if (key.startsWith(prefix)) take(key);
    } else take(n.toLowerCase());
  }
  return Object.keys(out).length ? out : undefined;
}

function parseFields(head: Buffer): { name: string; value: string }[] {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const out: { name: string; value: string }[] = [];
  for (const field of block.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0 || /\s/.test(field.slice(0, colon))) continue;
    const raw = field.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
    out.push({ name: field.slice(0, colon), value: decodeWords(Buffer.from(raw, 'latin1').toString('utf8')) });
  }
  return out;
}

const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]+)?\?([bBqQ])\?([^?\s]*)\?=/g;

/** RFC 2047 encoded words (B and Q); whitespace between two adjacent encoded words is dropped. */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value.replace(/(\?=)[ \t]+(?==\?)/g, '$1').replace(ENCODED_WORD, (word, charset: string, enc: string, data: string) => {
    try {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64')
        : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
    } catch {
      return word; // an unknown charset: left as it was
    }
  });
}
