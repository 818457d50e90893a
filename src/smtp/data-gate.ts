import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * A check before DATA is answered with 354: smtp-server always sends 354 and only lets the
 * application refuse after the whole message has been read. A server whose `kumoDataGate`
 * returns a reply gets that reply to the DATA command instead (e.g. 451 4.3.1 when the
 * in-flight byte budget is used up), and the client never sends the message. The client waits
 * for the 354 before sending the message even when it pipelines (RFC 2920 §3.1), so nothing
 * that follows DATA is misread. Installed once, on import.
 */
export type DataGate = (conn: SMTPConnection) => { code: number; text: string } | void;

export interface GatedServer {
  kumoDataGate?: DataGate;
}

const PATCHED = Symbol.for('kumo-ts.smtp-data-gate');
type Handler = (this: SMTPConnection, command: Buffer, callback: () => void) => void;
const proto = SMTPConnection.prototype as unknown as { handler_DATA: Handler; [PATCHED]?: boolean };

if (!proto[PATCHED]) {
  const original = proto.handler_DATA;
  proto.handler_DATA = function (command, callback) {
    const gate = (this._server as unknown as GatedServer).kumoDataGate;
    // without recipients (503) or a parser, the library answers as before
    if (gate && this.session.envelope.rcptTo.length && (this as unknown as { _parser?: unknown })._parser) {
      const refused = gate(this);
      if (refused) {
        this.send(refused.code, refused.text);
        return callback();
      }
    }
    return original.call(this, command, callback);
  };
  proto[PATCHED] = true;
}
