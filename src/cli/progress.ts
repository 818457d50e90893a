// Progress display of long admin commands (bounce, rebind over many messages), drawn with ink:
// a bar when the amount of work is known, else a spinner with the elapsed time. Only on a TTY
// and never with --json, so scripts see nothing but the result.
import type { ReactElement } from 'react';

/** How far the work is: `done` of `total` units; undefined when it cannot be told now. */
export type ProgressProbe = () => Promise<{ done: number; total: number } | undefined>;

export interface ProgressOptions {
  /** false: no display (not a TTY, --json) */
  enabled: boolean;
  /** polled each second while the work runs (and after, with `follow`) */
  probe?: ProgressProbe;
  /** after `work` settles, keep polling `probe` until done ≥ total (the server finishes asynchronously) */
  follow?: boolean;
  /** stop following when the probe's `done` has not moved for this long (default 10 s) */
  stallMs?: number;
  stream?: NodeJS.WriteStream;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressState {
  label: string;
  startedAt: number;
  now: number;
  done?: number;
  total?: number;
  finished?: string;
}

/** The visible line: bar with counts when the total is known, else spinner and elapsed time. */
export function progressLine(s: ProgressState, width: number): { spinner: string; bar?: string; text: string } {
  const elapsed = `${((s.now - s.startedAt) / 1000).toFixed(1)}s`;
  const spinner = s.finished === 'failed' ? '✖' : s.finished ? '✔' : SPINNER[Math.floor((s.now - s.startedAt) / 100) % SPINNER.length];
  if (s.total !== undefined && s.total > 0 && s.done !== undefined) {
    const frac = Math.min(1, Math.max(0, s.done / s.total));
    const tail = ` ${Math.min(s.done, s.total)}/${s.total} ${Math.round(frac * 100)}% ${elapsed}`;
    const barWidth = Math.max(10, Math.min(40, width - s.label.length - tail.length - 6));
    const filled = Math.round(frac * barWidth);
    return { spinner, bar: '█'.repeat(filled) + '░'.repeat(barWidth - filled), text: tail };
  }
  return { spinner, text: `${s.finished ?? 'working…'} ${elapsed}` };
}

/** Runs `work` while drawing its progress; returns its result (errors pass through). */
export async function withProgress<T>(label: string, work: Promise<T>, opts: ProgressOptions): Promise<T> {
  if (!opts.enabled) return work;
  const stream = opts.stream ?? process.stdout;
  const [{ render, Box, Text }, React] = await Promise.all([import('ink'), import('react')]);
  const h = React.createElement;
  const state: ProgressState = { label, startedAt: Date.now(), now: Date.now() };
  const view = (): ReactElement => {
    const l = progressLine(state, stream.columns ?? 80);
    return h(Box, null,
      h(Text, { color: state.finished === 'failed' ? 'red' : state.finished ? 'green' : 'cyan' }, `${l.spinner} `),
      h(Text, null, `${label} `),
      l.bar ? h(Text, { color: 'green' }, l.bar) : null,
      h(Text, { dimColor: true }, l.text));
  };
  const app = render(view(), { stdout: stream, exitOnCtrlC: true, patchConsole: false });
  let settled = false;
  let lastDone: number | undefined;
  let lastMove = Date.now();
  let polling = false;
  const poll = async () => {
    if (!opts.probe || polling) return;
    polling = true;
    try {
      const p = await opts.probe();
      if (p) {
        if (p.done !== lastDone) lastMove = Date.now();
        lastDone = p.done;
        state.done = p.done;
        state.total = p.total;
      }
    } catch {
      // a failed probe only leaves the display as it was
    } finally {
      polling = false;
    }
  };
  const tick = setInterval(() => {
    state.now = Date.now();
    app.rerender(view());
  }, 100);
  const probeTimer = setInterval(() => void poll(), 1000);
  try {
    const result = await work.finally(() => {
      settled = true;
    });
    if (opts.follow && opts.probe) {
      await poll();
      const stall = opts.stallMs ?? 10_000;
      while (settled && state.total !== undefined && (state.done ?? 0) < state.total && Date.now() - lastMove < stall) {
        await new Promise((r) => setTimeout(r, 500));
        await poll();
      }
    }
    state.finished = 'done';
    return result;
  } finally {
    clearInterval(tick);
    clearInterval(probeTimer);
    state.now = Date.now();
    if (!state.finished) state.finished = 'failed';
    app.rerender(view());
    app.unmount();
    await app.waitUntilExit().catch(() => undefined);
  }
}
