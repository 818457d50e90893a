import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * RFC 5321 §4.1.2: a local part may be a quoted string, and a quoted string may hold spaces
 * and '@' (`RCPT TO:<"john doe"@example.com>`, `<"a@b"@example.com>`). smtp-server splits a
 * MAIL / RCPT command's arguments on whitespace and the address on '@' before it looks at it,
 * so such a path got 501. Spaces and '@' inside the quotes are swapped for private-use
 * characters while smtp-server parses the command and put back in the address it returns;
 * every other check of the address is still smtp-server's. A command that already holds one of
 * those characters is parsed as it is. Installed once, on import.
 */
const HOLD = '\uE000';
const HOLD_AT = '\uE001';
/** `MAIL FROM:<` (with an optional source route), the quoted local part, then `@domain>` and the parameters */
const QUOTED = /^([^:]*:\s*<(?:@[^:<>\s]*:)?)("(?:[^"\\\r\n]|\\[ -~])*")(@[^<>\s]*>.*)$/s;

type Parse = (this: SMTPConnection, name: string, command: string | Buffer) => { address: string } | false;
const PATCHED = Symbol.for('kumo-ts.quoted-local-part');
const proto = SMTPConnection.prototype as unknown as { _parseAddressCommand: Parse; [PATCHED]?: true };

if (!proto[PATCHED]) {
  proto[PATCHED] = true;
  const original = proto._parseAddressCommand;
  proto._parseAddressCommand = function (name, command) {
    const text = (command ?? '').toString();
    const m = QUOTED.exec(text);
    if (!m || !/[ @]/.test(m[2]!) || text.includes(HOLD) || text.includes(HOLD_AT)) return original.call(this, name, command);
    const parsed = original.call(this, name, m[1]! + m[2]!.replaceAll(' ', HOLD).replaceAll('@', HOLD_AT) + m[3]!);
    if (parsed && typeof parsed.address === 'string') parsed.address = parsed.address.replaceAll(HOLD, ' ').replaceAll(HOLD_AT, '@');
    return parsed;
  };
}
