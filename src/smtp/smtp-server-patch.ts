import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { SMTPServerSession } from 'smtp-server';
import './data-scan.js';
import './quoted-local-part.js';

/**
 * The one place where kumo-ts reaches into smtp-server. Installed once, on import; servers
 * without `kumoOnReply` / `kumo` hooks (the test sink) behave exactly as before.
 *
 * Every reply goes through `SMTPConnection.prototype.send`, which
 *  - prefixes a default enhanced status code per reply code (550 → 5.1.1). A reply text that
 *    already starts with one ("5.7.1 relaying not permitted") is sent as is, so our policy
 *    replies carry the right code;
 *  - gives the server's `kumoOnReply` hook a look at (and a chance to rewrite) each reply: the
 *    listener logs Rejection records from it and keeps AUTH out of EHLO before TLS.
 *
 * For servers with `kumo` hooks, the connection lifecycle changes as follows:
 *  - greeting: smtp-server waits a fixed 100 ms before every 220 (and answers anything sent
 *    during it with 421). We greet at once; a command a client pipelines before the 220 (while
 *    a PTR lookup runs, say) waits for it instead of being refused. With a greet delay
 *    (`early_talker_delay`), a client that sends any byte before the 220 gets 554 5.5.1 and
 *    is disconnected, as Postfix's postscreen does;
 *  - admission: `admit` may refuse a connection before the greeting pause and the PTR lookup
 *    (the per-IP connection cap);
 *  - command deadline: smtp-server's socketTimeout is an inactivity timer that every byte
 *    resets. A command line must be complete (CRLF) within `commandTimeoutMs` of its first
 *    byte, however the bytes trickle in; past it: 421 4.4.2 and close. Time the server spends
 *    on a command does not count, nor does the DATA phase (its own deadline is in onData);
 *  - a command line that is not valid UTF-8 gets 500 5.5.2 (as Postfix) instead of being
 *    decoded with U+FFFD replacements and processed;
 *  - QUIT: the socket is closed once the 221 is written, not held half-open for the client;
 *  - half-close: the listener's sockets allow half-open, so a client's FIN does not cut the
 *    replies it is still owed (the 250 to a message being spooled); once the parser has run
 *    every command it got, the connection is closed.
 */
export type ReplyHook = (conn: SMTPConnection, code: number, data: string | string[] | null | undefined) => { code: number; data: string | string[] } | void;

export type RefusalReason = 'per_ip_limit' | 'max_connections' | 'early_talker' | 'command_timeout' | 'bad_utf8';

export interface ConnectionHooks {
  /** a reply refuses the connection at once (then closed); undefined admits it */
  admit(conn: SMTPConnection): { code: number; text: string } | undefined;
  /** the pause before the 220 for this connection; 0 = greet at once */
  greetDelayMs(conn: SMTPConnection): number;
  /** deadline for one command line, from its first byte; 0 = none */
  commandTimeoutMs(conn: SMTPConnection): number;
  /** a connection was refused or cut for `reason` (counted and logged by the listener) */
  refused(conn: SMTPConnection, reason: RefusalReason): void;
}

export interface HookedServer {
  kumoOnReply?: ReplyHook;
  kumo?: ConnectionHooks;
}

const SURVIVES_UPGRADE = Symbol('kumo-ts.survives-starttls');
/** over max_connections: the same reply whoever counted (this process, or the owner for the node) */
export const TOO_MANY_CLIENTS = Object.freeze({ code: 421, text: '4.7.0 Too many connected clients, try again in a moment' });

/**
 * Calls `fn` once when a connection's raw socket closes, also after STARTTLS: smtp-server's
 * upgrade() removes every listener of the raw socket (which still emits 'close' when the TLS
 * session ends), so a plain `socket.once('close')` would be lost — and with it, say, the
 * release of a per-IP connection slot.
 */
export function onRawSocketClose(socket: Socket, fn: () => void): void {
  socket.once('close', Object.assign(() => fn(), { [SURVIVES_UPGRADE]: true }));
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/;
const PATCHED = Symbol.for('kumo-ts.smtp-send-patched');

/** Our per-connection state, on the connection object. */
interface KumoState {
  /** greet pause running, or greeting not yet sent under a greet delay: any byte is early talk */
  early: boolean;
  earlyTimer?: NodeJS.Timeout;
  /** a command that arrived before the greeting (no greet delay): run once greeted */
  deferred?: { command: Buffer; callback?: () => void };
  /** the command-line deadline of the partial line now buffered */
  lineTimer?: NodeJS.Timeout;
  /** the socket corked for the replies to one chunk of pipelined commands (flushed by setImmediate) */
  corked?: Socket;
}

type Conn = SMTPConnection & { [STATE]?: KumoState };
const STATE = Symbol('kumo-ts.connection');
const LINE = Symbol('kumo-ts.command-line');

/**
 * The raw bytes of the command line being handled in this session (smtp-server hands the
 * callbacks decoded strings, in which an A-label domain is already turned into Unicode).
 */
export function commandLineOf(session: SMTPServerSession): Buffer | undefined {
  return (session as unknown as { [LINE]?: Buffer })[LINE];
}

type SendFn = (this: SMTPConnection, code: number, data?: string | string[] | null, context?: string | false) => void;
interface Proto {
  send: SendFn;
  init(this: Conn): void;
  close(this: Conn): void;
  _onClose(this: Conn): void;
  _sendGreeting(this: Conn): void;
  _createParser(this: Conn): SMTPStream;
  _onCommand(this: Conn, command: Buffer, callback?: () => void): void;
  upgrade(this: Conn, callback: () => void, secureCallback?: () => void): void;
  handler_QUIT(this: Conn, command: Buffer, callback: () => void): void;
  [PATCHED]?: boolean;
}
const proto = SMTPConnection.prototype as unknown as Proto;

function hooksOf(conn: SMTPConnection): ConnectionHooks | undefined {
  return (conn._server as unknown as HookedServer).kumo;
}

function stateOf(conn: Conn): KumoState {
  return (conn[STATE] ??= { early: false });
}

function gone(conn: SMTPConnection): boolean {
  return conn._closing || conn._closed;
}

function clearLineTimer(st: KumoState): void {
  if (st.lineTimer) clearTimeout(st.lineTimer);
  st.lineTimer = undefined;
}

/** After the parser consumed input: a partial command line is buffered → its deadline runs. */
function afterInput(conn: Conn, parser: SMTPStream, hooks: ConnectionHooks): void {
  const st = stateOf(conn);
  if (gone(conn) || parser.isClosed || conn._parser !== parser || parser._dataMode || !parser._remainder.length) return clearLineTimer(st);
  if (st.lineTimer) return; // the line started earlier; trickled bytes do not extend it
  const ms = hooks.commandTimeoutMs(conn);
  if (!(ms > 0)) return;
  st.lineTimer = setTimeout(() => {
    st.lineTimer = undefined;
    if (gone(conn) || conn._upgrading || parser.isClosed || parser._dataMode) return;
    hooks.refused(conn, 'command_timeout');
    conn.send(421, `4.4.2 ${conn.name} Error: command timeout exceeded`);
  }, ms);
  st.lineTimer.unref();
}

/**
 * A chunk holding more than one command line (RFC 2920 pipelining: MAIL, RCPT…, DATA in one
 * segment): the replies its commands get in this turn go out in one write instead of one
 * syscall each (reply writes were ~11 % of a reception worker under bench/relay).
 * RFC 2920 lets a server hold replies while more pipelined input is buffered; they are flushed
 * before the next I/O poll, so a client waiting for the 354 waits no longer than the handlers.
 */
function corkPipelined(conn: Conn, parser: SMTPStream, chunk: Buffer): void {
  if (parser._dataMode || conn._upgrading) return;
  const lf = chunk.indexOf(10);
  if (lf < 0 || lf === chunk.length - 1) return; // one line (or part of one): nothing to batch
  const st = stateOf(conn);
  if (st.corked) return;
  const socket = conn._socket as Socket;
  socket.cork();
  st.corked = socket;
  setImmediate(() => flushCorked(st));
}

function flushCorked(st: KumoState): void {
  const socket = st.corked;
  st.corked = undefined;
  if (socket && !socket.destroyed) socket.uncork();
}

function talkedEarly(conn: Conn, hooks: ConnectionHooks): void {
  const st = stateOf(conn);
  st.early = false;
  if (st.earlyTimer) clearTimeout(st.earlyTimer);
  hooks.refused(conn, 'early_talker');
  conn.send(554, '5.5.1 Error: you talked before the greeting');
  conn.close();
}

if (!proto[PATCHED]) {
  const original = {
    send: proto.send,
    init: proto.init,
    close: proto.close,
    onClose: proto._onClose,
    sendGreeting: proto._sendGreeting,
    createParser: proto._createParser,
    onCommand: proto._onCommand,
    upgrade: proto.upgrade,
    quit: proto.handler_QUIT,
  };

  // After QUIT the client has nothing more to say: once the 221 is in the kernel the socket
  // is closed, rather than half-closed until the client's FIN (or smtp-server's 5 s deadline).
  // A client that keeps its side open then no longer holds its connection slot, and one that
  // resets after the 221 (smtp-source does, to skip TIME_WAIT) no longer costs an
  // ECONNRESET error object, stack trace and all, per connection.
  proto.handler_QUIT = function (command, callback) {
    original.quit.call(this, command, callback);
    if (!hooksOf(this)) return;
    const socket = this._socket as Socket;
    if (socket.destroyed || this._upgrading) return;
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  };

  proto.upgrade = function (callback, secureCallback) {
    const st = this[STATE];
    if (st) flushCorked(st); // the 220 goes out before the handshake
    const raw = this._socket as Socket;
    const keep = raw.listeners('close').filter((l) => (l as { [SURVIVES_UPGRADE]?: boolean })[SURVIVES_UPGRADE]);
    const r = original.upgrade.call(this, callback, secureCallback);
    for (const l of keep) raw.once('close', l as () => void);
    return r;
  };

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
    // smtp-server writes only while readyState is 'open'; after the client's FIN a half-open
    // socket is 'writeOnly' and the reply would be dropped without a word
    const socket = this._socket as Socket | undefined;
    if (socket?.readyState === 'writeOnly' && hook) {
      Object.defineProperty(socket, 'readyState', { value: 'open', configurable: true });
      try {
        return original.send.call(this, code, data, context);
      } finally {
        delete (socket as { readyState?: unknown }).readyState;
      }
    }
    return original.send.call(this, code, data, context);
  };

  proto.init = function () {
    const hooks = hooksOf(this);
    if (!hooks) return original.init.call(this);
    this._setListeners(() => {
      // the listener's verdict first (with reception workers it counts the whole node), then
      // this process's own count against max_connections, refused the same way
      let refusal = hooks.admit(this);
      const max = this._server.options.maxClients;
      if (!refusal && max && this._server.connections.size > max) {
        hooks.refused(this, 'max_connections');
        refusal = TOO_MANY_CLIENTS;
      }
      if (refusal) {
        this.send(refusal.code, refusal.text);
        return this.close();
      }
      const delay = hooks.greetDelayMs(this);
      if (!(delay > 0)) return this.connectionReady();
      const st = stateOf(this);
      st.early = true;
      st.earlyTimer = setTimeout(() => {
        st.earlyTimer = undefined;
        if (!gone(this)) this.connectionReady();
      }, delay);
      st.earlyTimer.unref();
    });
  };

  proto._sendGreeting = function () {
    const st = this[STATE];
    if (st) st.early = false;
    original.sendGreeting.call(this);
    const d = st?.deferred;
    if (d) {
      st.deferred = undefined;
      setImmediate(() => this._onCommand(d.command, d.callback));
    }
  };

  proto._createParser = function () {
    const parser = original.createParser.call(this);
    const hooks = hooksOf(this);
    if (!hooks) return parser;
    const conn = this;
    const write = parser._write;
    parser._write = function (chunk: Buffer, encoding: BufferEncoding, next: (err?: Error | null) => void) {
      if (conn[STATE]?.early && chunk.length && !gone(conn)) {
        talkedEarly(conn, hooks);
        return next();
      }
      corkPipelined(conn, parser, chunk);
      write.call(this, chunk, encoding, (err?: Error | null) => {
        afterInput(conn, parser, hooks);
        next(err);
      });
    };
    // the input ended (the client's FIN; the parser is unpiped, not ended, on STARTTLS and
    // close): 'finish' comes after the last command's callback, i.e. after its reply. A
    // partial last line is run by smtp-server's own 'finish' handler, registered first.
    parser.once('finish', () => setImmediate(() => {
      if (!gone(conn) && conn._parser === parser && !conn._upgrading) conn.close();
    }));
    const oncommand = parser.oncommand;
    parser.oncommand = function (command: Buffer, callback?: () => void) {
      clearLineTimer(stateOf(conn)); // the line is complete
      return oncommand.call(this, command, callback);
    };
    return parser;
  };

  proto._onCommand = function (command, callback) {
    const hooks = hooksOf(this);
    if (hooks && !this._upgrading && !gone(this) && !this._server._closeTimeout) {
      (this.session as unknown as { [LINE]?: Buffer })[LINE] = command;
      if (!this._ready) {
        const st = stateOf(this);
        if (st.early) return talkedEarly(this, hooks);
        // pipelined before the greeting: the parser waits for the callback, so this is the only one
        st.deferred = { command, callback };
        return;
      }
      if (!isUtf8(command)) {
        hooks.refused(this, 'bad_utf8');
        this.send(500, '5.5.2 Error: bad UTF-8 syntax');
        setImmediate(() => this._whenWritable(callback ?? (() => false)));
        return;
      }
    }
    return original.onCommand.call(this, command, callback);
  };

  const clearAll = (conn: Conn) => {
    const st = conn[STATE];
    if (!st) return;
    clearLineTimer(st);
    if (st.earlyTimer) clearTimeout(st.earlyTimer);
    st.earlyTimer = undefined;
    st.deferred = undefined;
  };
  proto.close = function () {
    clearAll(this);
    return original.close.call(this);
  };
  proto._onClose = function () {
    clearAll(this);
    return original.onClose.call(this);
  };

  proto[PATCHED] = true;
}

export { SMTPConnection };
