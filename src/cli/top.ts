// `kumo-ts top`: a live terminal view of the queues in the spirit of `kcli top`, drawn with ink
// (React for the terminal): samples the queue summary (plus rules and epoch) each second,
// computes rates from successive counters, survives the server going away, `q` quits.
import type { Command } from 'commander';
import { ApiRefusedError, CliError, UsageError } from './api-client.js';
import type { ApiClient } from './api-client.js';
import { apiCommand, clientFrom, printJson, run } from './api-options.js';
import type { ApiOpts } from './api-options.js';
import { topElement, topLines } from './top-view.js';
import type { TopSample, TopState } from './top-view.js';

const SAMPLE_TIMEOUT_MS = 3_000;

/**
 * One sample: the summary is required; epoch and the rule lists are best effort, and are
 * fetched only when `withRules` (each second would add three admin requests, each logged by
 * the server; the rules change seldom) — otherwise those of `prev` are kept.
 */
export async function takeSample(client: ApiClient, prev?: TopSample, withRules = true): Promise<TopSample> {
  const opt = <T>(p: Promise<T>) => p.catch(() => undefined);
  const [summary, status, bounces, suspends, readySuspends] = await Promise.all([
    client.queueSummary(SAMPLE_TIMEOUT_MS),
    withRules || prev?.epoch === undefined ? opt(client.configStatus(SAMPLE_TIMEOUT_MS)) : undefined,
    withRules ? opt(client.bounceList(SAMPLE_TIMEOUT_MS)) : prev?.bounces,
    withRules ? opt(client.suspendList(SAMPLE_TIMEOUT_MS)) : prev?.suspends,
    withRules ? opt(client.suspendReadyQList(SAMPLE_TIMEOUT_MS)) : prev?.readySuspends,
  ]);
  return { at: Date.now(), summary, epoch: status?.epoch ?? prev?.epoch, bounces, suspends, readySuspends };
}

/** rule lists and epoch are refreshed every this many samples */
const RULES_EVERY = 5;

/** The sampling loop: calls `update` with each new state until `stop()`. */
function sampler(client: ApiClient, intervalMs: number, update: (s: TopState) => void): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let n = 0;
  let state: TopState = { endpoint: client.endpoint, connected: false, error: 'connecting…', now: Date.now() };
  void (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        // refreshed on the first sample after a (re)connection, then every RULES_EVERY samples
        const withRules = !state.connected || ++n % RULES_EVERY === 0;
        const s = await takeSample(client, state.connected ? state.last : undefined, withRules);
        state = { endpoint: client.endpoint, connected: true, prev: state.connected ? state.last : undefined, last: s, now: Date.now() };
      } catch (e) {
        state = { ...state, connected: false, refused: e instanceof ApiRefusedError, error: e instanceof CliError ? e.message.replace(/^\S+ \S+: /, '') : String(e), now: Date.now() };
      }
      if (stopped) break;
      update(state);
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, Math.max(50, intervalMs - (Date.now() - t0)));
      });
    }
  })();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
  };
}

async function interactive(client: ApiClient, intervalMs: number): Promise<void> {
  // ink draws only the last frame when it believes it runs under CI; a person is watching this TTY
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const [ink, React] = await Promise.all([import('ink'), import('react')]);
  const { useEffect, useState } = React;
  const App = () => {
    const { exit } = ink.useApp();
    const { stdout } = ink.useStdout();
    const { isRawModeSupported } = ink.useStdin();
    const [size, setSize] = useState({ cols: stdout.columns ?? 120, rows: stdout.rows ?? 40 });
    const [state, setState] = useState<TopState>({ endpoint: client.endpoint, connected: false, error: 'connecting…', now: Date.now() });
    useEffect(() => {
      const onResize = () => setSize({ cols: stdout.columns ?? 120, rows: stdout.rows ?? 40 });
      stdout.on('resize', onResize);
      return () => void stdout.off('resize', onResize);
    }, [stdout]);
    useEffect(() => {
      const s = sampler(client, intervalMs, setState);
      return () => s.stop();
    }, []);
    ink.useInput((input, key) => {
      if (input === 'q' || input === 'Q' || key.escape) exit();
    }, { isActive: isRawModeSupported });
    // one line short of the screen: a frame as tall as the terminal makes ink clear it each time
    return topElement(topLines(state, size.cols, Math.max(5, size.rows - 1)), React, ink);
  };
  const app = ink.render(React.createElement(App), { exitOnCtrlC: true, patchConsole: true });
  await app.waitUntilExit();
}

export function registerTop(program: Command): void {
  apiCommand(program
    .command('top')
    .description('Live view of the queues (largest first), delivery/failure rates, connections, suspensions and bounce rules; q quits')
    .option('--interval <seconds>', 'refresh period', '1')
    .option('--once', 'print one screen (or with --json one sample) and exit; also what happens when stdout is not a terminal'))
    .action(run(async (o: ApiOpts & { interval: string; once?: boolean }) => {
      const interval = Number(o.interval);
      if (!Number.isFinite(interval) || interval < 0.2) throw new UsageError(`--interval ${o.interval}: expected seconds ≥ 0.2`);
      const client = clientFrom(o, { timeoutMs: SAMPLE_TIMEOUT_MS });
      try {
        if (o.once || o.json || !process.stdout.isTTY) {
          const s = await takeSample(client);
          if (o.json) return printJson(s);
          const lines = topLines({ endpoint: client.endpoint, connected: true, last: s, now: Date.now() }, process.stdout.columns ?? 120, 10_000);
          process.stdout.write(lines.map((l) => l.text.trimEnd()).join('\n') + '\n');
          return;
        }
        await interactive(client, interval * 1000);
      } finally {
        await client.close();
      }
    }));
}
