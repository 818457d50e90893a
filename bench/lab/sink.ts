// `kumo-ts sink` in its own process for the benches: its JSON events on stdout (`listening`
// with the port, then its counters every --stats-interval) kept as a live message count.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { BIN } from './serve.js';
import { stopChild } from './proc.js';

export interface SinkChild {
  child: ChildProcess;
  port: number;
  /** messages counted so far */
  messages: number;
  /** the sink's time (`at`) of the report that last raised `messages` */
  lastAt: number;
  /** resolves when the sink has counted n messages; the time it saw them */
  reached(n: number): Promise<number>;
  stop(): Promise<number>;
}

/** Starts the sink on a port of its own choosing, reporting every `statsInterval` (default 50ms). */
export async function startSinkChild(statsInterval = '50ms'): Promise<SinkChild> {
  const child = spawn(process.execPath, [BIN, 'sink', '--listen', '127.0.0.1:0', '--json', '--stats-interval', statsInterval], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sink: SinkChild = {
    child,
    port: 0,
    messages: 0,
    lastAt: 0,
    reached: (n) =>
      new Promise((res) => {
        const t = setInterval(() => {
          if (sink.messages >= n) {
            clearInterval(t);
            res(sink.lastAt);
          }
        }, 10);
      }),
    stop: () => stopChild(child),
  };
  let buf = '';
  await new Promise<void>((res, rej) => {
    child.once('exit', () => rej(new Error('sink exited')));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        const ev = JSON.parse(buf.slice(0, i)) as { event: string; port?: number; messages?: number; at?: number };
        if (ev.event === 'listening') {
          sink.port = ev.port!;
          res();
        } else if (ev.messages !== undefined && ev.messages > sink.messages) {
          sink.messages = ev.messages;
          sink.lastAt = ev.at!;
        }
      }
    });
  });
  return sink;
}
