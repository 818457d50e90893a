import type SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * The phases of an outbound SMTP session that have their own timeout (KumoMTA's
 * `ehlo_timeout`, `starttls_timeout`, ... of make_egress_path). `quit` has none here
 * (SmtpSession.quit bounds it).
 */
export type Phase = 'ehlo' | 'starttls' | 'tls_handshake' | 'auth' | 'mail_from' | 'rcpt_to' | 'data' | 'data_dot' | 'rset' | 'quit';

export type PhaseTimeouts = Readonly<Partial<Record<Phase, number>>>;

/** The egress-path key of each phase's timeout, for messages. */
export const PHASE_KEY: Readonly<Record<Phase, string>> = {
  ehlo: 'ehlo_timeout',
  starttls: 'starttls_timeout',
  tls_handshake: 'tls_handshake_timeout',
  auth: 'auth_timeout',
  mail_from: 'mail_from_timeout',
  rcpt_to: 'rcpt_to_timeout',
  data: 'data_timeout',
  data_dot: 'data_dot_timeout',
  rset: 'rset_timeout',
  quit: 'quit',
};

/** The command named in the failure (the reply's `command`). */
const PHASE_COMMAND: Readonly<Record<Phase, string>> = {
  ehlo: 'EHLO',
  starttls: 'STARTTLS',
  tls_handshake: 'STARTTLS',
  auth: 'AUTH',
  mail_from: 'MAIL FROM',
  rcpt_to: 'RCPT TO',
  data: 'DATA',
  data_dot: 'DATA',
  rset: 'RSET',
  quit: 'QUIT',
};

const WAITING_FOR: Readonly<Record<Phase, string>> = {
  ehlo: 'the reply to EHLO',
  starttls: 'the reply to STARTTLS and the TLS handshake',
  tls_handshake: 'the TLS handshake after STARTTLS',
  auth: 'the reply to AUTH',
  mail_from: 'the reply to MAIL FROM',
  rcpt_to: 'the reply to RCPT TO',
  data: 'the reply to DATA',
  data_dot: 'the reply to the end of the message data',
  rset: 'the reply to RSET',
  quit: 'the reply to QUIT',
};

function phaseOf(cmd: string, previous: Phase | undefined): Phase {
  const v = cmd.slice(0, 9).toUpperCase();
  if (v.startsWith('EHLO') || v.startsWith('HELO') || v.startsWith('LHLO')) return 'ehlo';
  if (v.startsWith('STARTTLS')) return 'starttls';
  if (v.startsWith('AUTH')) return 'auth';
  if (v.startsWith('MAIL FROM')) return 'mail_from';
  if (v.startsWith('RCPT TO')) return 'rcpt_to';
  if (v.startsWith('DATA')) return 'data';
  if (v.startsWith('RSET')) return 'rset';
  if (v.startsWith('QUIT')) return 'quit';
  /* c8 ignore start -- the client sends only AUTH PLAIN, whose credentials are on the AUTH line itself */
  // AUTH continuation lines (base64) belong to the AUTH exchange
  return previous ?? 'auth';
}
/* c8 ignore stop */

function fmt(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Longest timer Node accepts (larger values fire at once). */
export const NO_TIMEOUT = 2 ** 31 - 1;

interface ConnInternals {
  _sendCommand(str: string, logStr?: string): void;
  _createSendStream(cb: unknown): NodeJS.EventEmitter;
  _onError(err: Error, type: string, data: unknown, command: string): void;
  _remainingSetupTime(): number;
  upgrading?: boolean;
  lastServerResponse?: string;
}

/**
 * One timer per phase of the session instead of nodemailer's single socket timeout: each
 * command's reply must arrive within its own phase's timeout, counted from when the reply
 * before it arrived (so pipelined commands each get their full time). STARTTLS covers the
 * command and the TLS handshake, unless tls_handshake_timeout is set: then the handshake, from
 * the 220, has that one; the message data, from the 354 to the reply after the final
 * dot, is under data_dot_timeout (counted again from the dot). The greeting keeps nodemailer's
 * greetingTimeout (banner_timeout), no longer cut short by the connect timeout. A timeout fails
 * the session with ETIMEDOUT and a message naming the key.
 *
 * Relies on nodemailer internals (`_sendCommand`, `_createSendStream`, `lastServerResponse`
 * being set once per reply); test/delivery/phase-timeouts.test.ts checks each phase.
 */
export function installPhaseTimers(conn: SMTPConnection, timeouts: PhaseTimeouts, peer: string, bannerMs: number): void {
  const c = conn as unknown as ConnInternals;
  const expect: Phase[] = [];
  let timer: NodeJS.Timeout | undefined;
  let previous: Phase | undefined;

  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const arm = (p: Phase | undefined) => {
    clear();
    const ms = p && timeouts[p];
    if (!p || !ms) return;
    timer = setTimeout(() => {
      timer = undefined;
      const err = new Error(`${PHASE_KEY[p]} (${fmt(ms)}) expired waiting for ${WAITING_FOR[p]} from ${peer}`);
      c._onError(err, 'ETIMEDOUT', false, PHASE_COMMAND[p]);
    }, ms);
  };

  const send = c._sendCommand.bind(c);
  c._sendCommand = (str: string, logStr?: string) => {
    const p = phaseOf(String(str), previous);
    previous = p;
    expect.push(p);
    // the first command waiting, or the EHLO after a STARTTLS handshake
    if (expect.length === 1) arm(p);
    send(str, logStr);
  };

  const createSendStream = c._createSendStream.bind(c);
  c._createSendStream = (cb: unknown) => {
    const ds = createSendStream(cb);
    ds.once('end', () => {
      expect.push('data_dot');
      if (expect.length === 1) arm('data_dot');
    });
    return ds;
  };

  let last = c.lastServerResponse;
  Object.defineProperty(c, 'lastServerResponse', {
    configurable: true,
    get: () => last,
    set: (v: string) => {
      last = v;
      const done = expect.shift();
      if (expect.length) return arm(expect[0]);
      // a STARTTLS reply: the handshake runs under tls_handshake_timeout when set, else the
      // STARTTLS timer runs on through it; either until the next EHLO
      if (done === 'starttls' && /^220/.test(v)) return timeouts.tls_handshake ? arm('tls_handshake') : undefined;
      // the 354: the message data goes out under data_dot_timeout
      if (done === 'data' && /^354/.test(v)) return arm('data_dot');
      arm(undefined);
    },
  });

  // the greeting: banner_timeout alone; the handshake: under the STARTTLS timer above
  c._remainingSetupTime = () => (c.upgrading ? NO_TIMEOUT : bannerMs);
  conn.once('end', clear);
}
