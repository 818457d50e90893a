/**
 * Minimal, byte-preserving header surgery on a raw RFC 5322 message (only what reception
 * needs): find the end of the header block, and read + remove named header fields. Bytes are
 * handled as latin1 so 8-bit content round-trips unchanged.
 */

/** Offset just past the blank line ending the header block (or the message length if none). */
export function headerEnd(msg: Buffer): number {
  const crlf = msg.indexOf('\r\n\r\n');
  const lf = msg.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return msg.length;
}

/**
 * Reads the first value of each named field (case-insensitive, unfolded, trimmed) and, when
 * `remove` says so, drops every occurrence of that field. Returns the message unchanged (same
 * Buffer) when none of the fields is present.
 */
export function takeHeaders(
  msg: Buffer,
  names: readonly { name: string; remove: boolean }[],
): { message: Buffer; values: Map<string, string> } {
  const values = new Map<string, string>();
  if (!names.length) return { message: msg, values };
  const end = headerEnd(msg);
  const head = msg.toString('latin1', 0, end);
  const wanted = new Map(names.map((n) => [n.name.toLowerCase(), n.remove]));
  // split into fields: a field starts at a line that does not begin with SP/HT
  const lines = head.split(/(?<=\n)/);
  const kept: string[] = [];
  let changed = false;
  let current: { name: string; text: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    const remove = wanted.get(current.name);
    if (remove !== undefined) {
      const raw = current.text.join('');
      const value = raw.slice(raw.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();
      if (!values.has(current.name)) values.set(current.name, Buffer.from(value, 'latin1').toString('utf8'));
      if (remove) {
        changed = true;
        current = undefined;
        return;
      }
    }
    kept.push(...current.text);
    current = undefined;
  };
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current.text.push(line);
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon > 0 && !/[\s]/.test(line.slice(0, colon))) current = { name: line.slice(0, colon).toLowerCase(), text: [line] };
    else kept.push(line); // the blank separator line, or something that is not a field
  }
  flush();
  if (!changed) return { message: msg, values };
  return { message: Buffer.concat([Buffer.from(kept.join(''), 'latin1'), msg.subarray(end)]), values };
}
