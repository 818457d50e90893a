// The benches' SMTP load: a raw client session over a socket (replies read line by line, the
// last line of a multi-line reply only), and the pipelined inject loop the relay and reception
// benches share: S sessions reused for N messages, MAIL/RCPT/DATA in one write.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export class Session {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let nl; (nl = this.buf.indexOf('\r\n')) >= 0; ) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        if (line[3] === '-') continue; // multi-line reply: wait for the last line
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }

  /** Connects to host:port; `noDelay` (default true) turns Nagle off. */
  static open(port: number, opts: { host?: string; noDelay?: boolean } = {}): Promise<Session> {
    return new Promise((resolve, reject) => {
      const s = connect(port, opts.host ?? '127.0.0.1', () => resolve(new Session(s)));
      if (opts.noDelay !== false) s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  /** The next reply's last line. */
  reply(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => this.waiters.push(r));
  }

  write(d: string | Buffer): void {
    this.socket.write(d);
  }

  /** One command, its reply. */
  cmd(line: string): Promise<string> {
    this.write(line + '\r\n');
    return this.reply();
  }

  close(): void {
    this.socket.end('QUIT\r\n');
  }
}

const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';

/** `head` (headers and the blank line), lorem ipsum lines up to about `size` bytes, and the final dot. */
export function loremMessage(head: string, size: number): string {
  let b = head;
  while (b.length + LOREM.length < size) b += LOREM;
  return b + '.\r\n';
}

export interface PipelinedLoad {
  port: number;
  host?: string;
  messages: number;
  sessions: number;
  /** the EHLO name of session w */
  ehlo(w: number): string;
  /** the recipient of message i */
  rcpt(i: number): string;
  /** message i with its final dot */
  message(i: number): string;
  /** after each message of session w, with the counts so far */
  afterMessage?(w: number, counts: { accepted: number; failed: number }): void;
}

/**
 * Sends `messages` from bench@example.org over `sessions` sessions. A message whose MAIL or
 * RCPT is refused counts as failed (its DATA too when that is refused). Latencies: ms from
 * the message's bytes to its 250, for every accepted one.
 */
export async function pipelinedInject(l: PipelinedLoad): Promise<{ accepted: number; failed: number; latencies: number[] }> {
  let next = 0;
  const counts = { accepted: 0, failed: 0 };
  const latencies: number[] = [];
  const worker = async (w: number) => {
    const s = await Session.open(l.port, { host: l.host });
    await s.reply(); // greeting
    await s.cmd(`EHLO ${l.ehlo(w)}`);
    while (next < l.messages) {
      const i = next++;
      s.write(`MAIL FROM:<bench@example.org>\r\nRCPT TO:<${l.rcpt(i)}>\r\nDATA\r\n`);
      const [m, r, d] = [await s.reply(), await s.reply(), await s.reply()];
      if (!m.startsWith('250') || !r.startsWith('250') || !d.startsWith('354')) {
        counts.failed++;
        if (!d.startsWith('354')) continue;
      }
      const t = performance.now();
      s.write(l.message(i));
      if ((await s.reply()).startsWith('250')) {
        latencies.push(performance.now() - t);
        counts.accepted++;
      } else counts.failed++;
      l.afterMessage?.(w, counts);
    }
    s.close();
  };
  await Promise.all(Array.from({ length: l.sessions }, (_, w) => worker(w)));
  return { ...counts, latencies };
}
