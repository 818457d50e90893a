import { headerEnd } from './message-headers.js';

/**
 * Just enough MIME to read delivery and feedback reports: header fields, nested multipart
 * bodies, base64 and quoted-printable. Text is handled as latin1 so every byte survives; callers
 * decode UTF-8 where a field may carry it.
 */
export type Fields = Map<string, string[]>;

export interface Part {
  readonly headers: Fields;
  /** the body as it appears in the message (still transfer-encoded) */
  readonly body: string;
}

/** Header fields of a block: unfolded (folding collapsed to one space), names lower-cased, every occurrence kept in order. */
export function parseFields(text: string): Fields {
  const out: Fields = new Map();
  for (const f of text.split(/\r?\n(?![ \t])/)) {
    const c = f.indexOf(':');
    if (c <= 0 || /\s/.test(f.slice(0, c))) continue;
    const k = f.slice(0, c).toLowerCase();
    const v = f.slice(c + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

export function first(f: Fields, name: string): string | undefined {
  return f.get(name)?.[0];
}

export function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function mediaType(part: Part): string {
  return (first(part.headers, 'content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
}

export function splitEntity(text: string): Part {
  const end = headerEnd(Buffer.from(text, 'latin1'));
  // a part with no header at all starts with its blank line
  if (/^\r?\n/.test(text)) return { headers: new Map(), body: text.replace(/^\r?\n/, '') };
  return { headers: parseFields(text.slice(0, end)), body: text.slice(end) };
}

/** The parts of a multipart body (preamble and epilogue dropped). */
export function multipartParts(body: string, boundary: string): Part[] {
  const delim = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/(?<=\n)/)) {
    const bare = line.replace(/[ \t]*\r?\n$/, '');
    if (bare === delim || bare === `${delim}--`) {
      if (current) parts.push(current.join('').replace(/\r?\n$/, ''));
      current = bare === delim ? [] : undefined;
      if (!current) break;
      continue;
    }
    current?.push(line);
  }
  if (current?.length) parts.push(current.join(''));
  return parts.map(splitEntity);
}

/** Every leaf part under `part`, depth first (multipart/* entered; message/rfc822 kept whole). */
export function leafParts(part: Part): Part[] {
  const t = mediaType(part);
  const boundary = param(first(part.headers, 'content-type'), 'boundary');
  if (t.startsWith('multipart/') && boundary) return multipartParts(part.body, boundary).flatMap(leafParts);
  return [part];
}

export function decodeBody(p: Part): string {
  const cte = (first(p.headers, 'content-transfer-encoding') ?? '').toLowerCase();
  if (cte === 'base64') return Buffer.from(p.body.replace(/\s+/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable')
    return p.body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return p.body;
}

/** latin1-held bytes read as UTF-8 (reports may carry UTF-8 addresses and texts). */
export function utf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** `rfc822; <User@Example.com> (comment)` → `User@Example.com`; other types as written. */
export function reportAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  const type = semi >= 0 ? value.slice(0, semi).trim().toLowerCase() : 'rfc822';
  let addr = (semi >= 0 ? value.slice(semi + 1) : value).trim();
  if (type !== 'rfc822' && type !== 'utf-8') return addr;
  addr = addr.replace(/\s*\([^()]*\)\s*$/, '').trim();
  const angle = /<([^<>]*)>/.exec(addr);
  if (angle) addr = angle[1]!.trim();
  return addr.replace(/^"(.*)"$/, '$1');
}
