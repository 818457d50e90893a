import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * The one place where kumo-ts reaches into smtp-server: every reply goes through
 * `SMTPConnection.prototype.send`, which
 *  - prefixes a default enhanced status code per reply code (550 → 5.1.1). A reply text that
 *    already starts with one ("5.7.1 relaying not permitted") is sent as is, so our policy
 *    replies carry the right code;
 *  - gives the server's `kumoOnReply` hook a look at (and a chance to rewrite) each reply: the
 *    listener logs Rejection records from it and keeps AUTH out of EHLO before TLS.
 * Installed once, on import; servers without the hook behave as before.
 */
export type ReplyHook = (conn: SMTPConnection, code: number, data: string | string[] | null | undefined) => { code: number; data: string | string[] } | void;

export interface HookedServer {
  kumoOnReply?: ReplyHook;
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/;
const PATCHED = Symbol.for('kumo-ts.smtp-send-patched');

type SendFn = (this: SMTPConnection, code: number, data?: string | string[] | null, context?: string | false) => void;
const proto = SMTPConnection.prototype as unknown as { send: SendFn; [PATCHED]?: boolean };

if (!proto[PATCHED]) {
  const original = proto.send;
  proto.send = function (code, data, context) {
    const hook = (this._server as unknown as HookedServer).kumoOnReply;
    if (hook) {
      const r = hook(this, code, data);
      if (r) {
        code = r.code;
        data = r.data;
      }
    }
    if (typeof data === 'string' && ENHANCED.test(data)) context = false;
    return original.call(this, code, data, context);
  };
  proto[PATCHED] = true;
}

export { SMTPConnection };
