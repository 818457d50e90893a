// `kumo-ts top` as a person sees it: run in tmux against a real server with mail queued behind
// an unreachable destination; capture-pane shows the queue names and counts, follows new mail,
// fits a resized window, says "disconnected" while the server is down, and `q` quits.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { needTool } from '../require-tool.js';
import { BIN, eventually, startCliLab } from './cli-lab.js';
import type { CliLab } from './cli-lab.js';
import { haveTool } from '../require-tool.js';
import { ApiClient } from '../../src/cli/api-client.js';

let lab: CliLab;
let sock: string;
const tmux = (...args: string[]) => spawnSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
before(async () => {
  if (!haveTool('tmux')) return;
  lab = await startCliLab();
  // a private tmux server (own socket), killed at the end
  sock = join(lab.dir, 'tmux.sock');
});
after(async () => {
  if (sock) tmux('kill-server');
  await lab?.cleanup();
});

/** polls capture-pane of `target` until every pattern matches; the last screen for messages */
function screenOf(target: string) {
  let screen = '';
  const capture = () => (screen = tmux('capture-pane', '-p', '-t', target).stdout);
  const until = (re: RegExp[], what: string, ms = 45_000) =>
    eventually(async () => (re.every((r) => r.test(capture())) ? true : undefined), ms, what).catch((e: Error) => {
      throw new Error(`${e.message}; window ${tmux('display', '-p', '-t', target, '#{window_width}x#{window_height}').stdout.trim()}, screen:\n${screen}`);
    });
  return { until, get screen() { return screen; } };
}

test('kumo-ts top in tmux: queue names and counts under load, resize, server down and back, q quits', { timeout: 180_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  await lab.send('blackhole.test', 120);
  await lab.send('void.test', 40);

  // CI=true on purpose: top must draw live frames even where ink would think it runs under CI
  const started = tmux('new-session', '-d', '-s', 'top', '-x', '160', '-y', '45',
    `exec env CI=true ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} top --endpoint ${lab.endpoint}`);
  assert.equal(started.status, 0, started.stderr);
  const view = screenOf('top');
  const until = view.until;
  let screen = '';

  await until([/kumo-ts top — http:\/\/127\.0\.0\.1:\d+ {2}epoch 1/, /^blackhole\.test\s+120\s/m, /^void\.test\s+40\s/m], 'both queues with their counts');
  screen = view.screen;
  assert.match(screen, /scheduled queues: 2/);
  assert.match(screen, /^connected/m);
  // the largest queue comes first
  assert.ok(screen.indexOf('blackhole.test') < screen.indexOf('void.test'), screen);

  // under load: more mail arrives while top runs, and the counts follow each second
  await Promise.all([lab.send('blackhole.test', 80), lab.send('nowhere.test', 25)]);
  await until([/^blackhole\.test\s+200\s/m, /^nowhere\.test\s+25\s/m, /scheduled queues: 3/], 'the counts after more mail');
  screen = view.screen;
  assert.match(screen, /rates\/s: delivered \d/);
  assert.match(screen, /since start: delivered 0 {2}transient \d/);

  // a smaller window: every line fits, the largest queue is still there
  const resized = tmux('resize-window', '-t', 'top', '-x', '70', '-y', '10');
  assert.equal(resized.status, 0, resized.stderr);
  await until([/^blackhole\.test\s+200\s/m, /scheduled queues: 3, largest \d shown/], 'the resized screen');
  for (const line of view.screen.split('\n')) assert.ok(line.length <= 70, `line wider than the window: ${line}`);
  tmux('resize-window', '-t', 'top', '-x', '160', '-y', '45');

  // a suspension shows on its queue and in the rules
  const client = new ApiClient({ endpoint: lab.endpoint });
  t.after(() => client.close());
  const sus = await client.suspend({ domain: 'void.test', reason: 'talking to the postmaster', duration: '10m' });
  await until([/^void\.test\s+40\s+\S+\s+suspended/m, new RegExp(`^suspended +domain=void\\.test +\\d+m\\d*s? left: talking to the postmaster +\\[${sus.id}\\]`, 'm')], 'the suspension');
  await client.suspendCancel(sus.id);
  await until([/^void\.test\s+40\s+\S+\s*$/m], 'the suspension lifted');

  // the server goes away: top says so and keeps retrying; it comes back with the spooled mail
  await lab.stop();
  await until([/^disconnected: .*connection refused/m], '"disconnected"');
  await lab.start();
  await until([/^connected/m, /^blackhole\.test\s+200\s/m, /^void\.test\s+40\s/m], 'reconnected after the restart', 60_000);

  tmux('send-keys', '-t', 'top', 'q');
  await eventually(async () => (tmux('has-session', '-t', 'top').status !== 0 ? true : undefined), 10_000, 'top to quit on q');
});

test('a bounce on a terminal shows its progress bar, then the result', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  const client = new ApiClient({ endpoint: lab.endpoint });
  t.after(() => client.close());
  await lab.send('void.test', 160);
  await eventually(async () => ((await client.queueSummary()).scheduled.find((q) => q.name === 'void.test')?.count === 200 ? true : undefined), 45_000, '200 messages queued for void.test');
  const started = tmux('new-session', '-d', '-s', 'bounce', '-x', '120', '-y', '12',
    `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} bounce --domain void.test --reason cleanup --endpoint ${lab.endpoint}; echo EXIT=$?; sleep 600`);
  assert.equal(started.status, 0, started.stderr);
  const view = screenOf('bounce');
  await view.until([/^✔ bouncing █+ 200\/200 100% \d+\.\ds$/m, /^bounce \S+ registered; 200 messages bounced$/m, /^EXIT=0$/m], 'the finished progress bar and the result');
  assert.equal((await client.queueSummary()).scheduled.find((q) => q.name === 'void.test'), undefined);
});
