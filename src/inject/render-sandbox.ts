/**
 * Renders inject templates in a separate, locked-down process (render-child.ts), so that a
 * template that gets past the checks of template-syntax.ts reaches nothing of the server: it
 * cannot read the spool, keys or config, write a file, start a process or signal the server
 * (as `nobody` when the server runs as root), and a rendering that runs away in memory ends
 * the renderer, not the server. Node's permission model does not cover the network in Node 20:
 * where the system allows, the renderer has a network namespace of its own (render-launch.ts).
 *
 * The renderer answers one message at a time. Each answer has a deadline counted from the
 * previous one (a rendering is bounded by template_timeout inside the renderer; the deadline
 * is the backstop): past it, the renderer is killed, the request it was serving fails, and the
 * requests queued behind it are sent again to a fresh renderer.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logging/logger.js';
import type { FromRenderer, JobSpec, TemplateJob, TemplateRenderer, ToRenderer, WireTemplateError } from './render-protocol.js';
import type { InjectRecipient } from './schema.js';
import type { RenderLimits } from './template-budget.js';
import { TemplateError } from './templates.js';
import { isolationLevels, rendererLaunch } from './render-launch.js';
import type { Isolation } from './render-launch.js';

/** The renderer could not be started (503: the request may be retried). */
export class RendererUnavailableError extends Error {
  readonly code = 'RENDERER_UNAVAILABLE';
  constructor(detail: string) {
    super(`the template renderer is unavailable: ${detail}`);
    this.name = 'RendererUnavailableError';
  }
}

/** The renderer went away while another request's message was running: this one may be sent again. */
class RendererRestarted extends Error {}

export interface SandboxOptions {
  /** the renderer's V8 heap (MB); default 2048 */
  readonly heapMb?: number;
  /** compiling a request's templates may take this long (ms); default 10,000 */
  readonly openTimeoutMs?: number;
  /** the renderer's script (default render-child.js; tests run a hostile one) */
  readonly entry?: string;
}

interface Call {
  readonly msg: ToRenderer & { id: number };
  /** the template part a failure of this call is reported on */
  readonly part: string;
  readonly deadlineMs: number;
  resolve(reply: FromRenderer): void;
  reject(e: Error): void;
}

interface Renderer {
  readonly proc: ChildProcess;
  readonly generation: number;
  readonly ready: Promise<void> & { settled: boolean };
  /** messages sent and not yet answered, in the order the renderer takes them */
  readonly calls: Call[];
  timer?: NodeJS.Timeout;
  /** the first call was past its deadline: the renderer was killed for it */
  timedOut?: boolean;
  /** the renderer sent what it must not: it was killed for it */
  broken?: string;
  /** killed after the call it broke on was answered: every call still queued is sent again */
  retryAll?: boolean;
  stderr: string;
}

export class TemplateSandbox implements TemplateRenderer {
  private current?: Renderer;
  private generation = 0;
  private nextId = 1;
  private nextJob = 1;
  private stopped = false;
  /** the isolations still to try, strongest first; the first is what the renderer runs with */
  private readonly levels: Isolation[] = isolationLevels();
  /** starts in a row that failed at the current isolation */
  private startFailures = 0;
  private readonly heapMb: number;
  private readonly openTimeoutMs: number;
  private readonly entry: string;

  constructor(private readonly log: Logger, opts: SandboxOptions = {}) {
    this.heapMb = opts.heapMb ?? 2048;
    this.openTimeoutMs = opts.openTimeoutMs ?? 10_000;
    this.entry = opts.entry ?? fileURLToPath(new URL('./render-child.js', import.meta.url));
  }

  /** What the renderer is kept from beyond the permission model (the strongest the system allowed so far). */
  get isolation(): Isolation {
    return this.levels[0] ?? { net: false, nobody: false };
  }

  /** The renderer's pid, once started (tests, status): node's, under unshare when namespaced. */
  get pid(): number | undefined {
    return this.current ? nodePid(this.current.proc) : undefined;
  }

  async open(spec: JobSpec): Promise<TemplateJob> {
    const job = this.nextJob++;
    // a failure that no template part reported itself is reported on the request's first one
    const firstPart = spec.parts[0]?.part ?? 'content';
    let openedIn = await this.openIn(job, spec);
    const render = async (recipients: readonly InjectRecipient[], limits: RenderLimits, attempt = 0): Promise<string[][]> => {
      try {
        const r = await this.renderer();
        if (r.generation !== openedIn) openedIn = await this.openIn(job, spec);
        const asked = recipients.slice(0, 256);
        const reply = await this.call({ op: 'render', id: this.nextId++, job, recipients: asked, limits }, 2 * limits.timeMs + 2_000, firstPart);
        if ('unknownJob' in reply && reply.unknownJob) {
          openedIn = -1;
          throw new RendererRestarted();
        }
        const rows = rowsOf(reply);
        if (!wellFormed(rows, asked.length, spec.parts.length, limits.maxChars)) {
          this.reject(r, 'renderings of the wrong shape');
          throw new TemplateError(firstPart, 'the template renderer sent renderings of the wrong shape and was stopped');
        }
        return rows;
      } catch (e) {
        if (e instanceof RendererRestarted && attempt < 2) return render(recipients, limits, attempt + 1);
        throw e;
      }
    };
    return {
      render: (recipients, limits) => render(recipients, limits),
      close: () => {
        const r = this.current;
        if (r && r.generation === openedIn && r.proc.connected) r.proc.send({ op: 'close', job } satisfies ToRenderer);
      },
    };
  }

  /** Stops the renderer (server shutdown); requests still waiting fail. */
  stop(): void {
    this.stopped = true;
    if (this.current) kill(this.current.proc);
  }

  private async openIn(job: number, spec: JobSpec, attempt = 0): Promise<number> {
    try {
      const r = await this.renderer();
      const reply = await this.call({ op: 'open', id: this.nextId++, job, spec }, this.openTimeoutMs, spec.parts[0]?.part ?? 'content');
      rowsOf(reply);
      return r.generation;
    } catch (e) {
      if (e instanceof RendererRestarted && attempt < 2) return this.openIn(job, spec, attempt + 1);
      throw e;
    }
  }

  /** The running renderer, started if there is none. */
  private async renderer(): Promise<Renderer> {
    if (this.stopped) throw new RendererUnavailableError('the server is stopping');
    if (!this.current) this.current = this.spawn();
    const r = this.current;
    try {
      await r.ready;
    } catch (e) {
      // a start that failed once may have met a passing shortage (processes, memory): the
      // same isolation is tried again before less of it
      if (++this.startFailures < 2) return this.renderer();
      this.startFailures = 0;
      if (this.levels.length > 1) {
        // nobody may not read the code (a checkout under /root), namespaces may be off: the
        // permission model holds without either
        const failed = this.levels.shift()!;
        this.log.warn('inject: the template renderer could not start with its full isolation; trying less', { failed, next: this.levels[0], error: (e as Error).message });
        return this.renderer();
      }
      throw new RendererUnavailableError((e as Error).message);
    }
    this.startFailures = 0;
    return r;
  }

  private spawn(): Renderer {
    const launch = rendererLaunch(this.entry, this.heapMb, this.isolation);
    const proc = spawn(launch.file, launch.args, {
      serialization: 'advanced',
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // a process group of its own: kill(0) from the renderer reaches only itself
      detached: true,
      ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid! } : {}),
    });
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = Object.assign(new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    }), { settled: false });
    ready.catch(() => undefined);
    const r: Renderer = { proc, generation: ++this.generation, ready, calls: [], stderr: '' };
    proc.stderr?.setEncoding('utf8');
    // what the renderer writes is kept for the log; the pipe alone keeps nothing alive
    (proc.stderr as { unref?(): void } | null)?.unref?.();
    proc.stderr?.on('data', (s: string) => {
      r.stderr = (r.stderr + s).slice(-2_000);
    });
    proc.on('message', (m: unknown) => {
      // the renderer runs what templates compiled into: its messages are checked, never trusted
      const reply = m as FromRenderer | null;
      if (reply !== null && typeof reply === 'object' && 'op' in reply && reply.op === 'ready' && !r.ready.settled) {
        r.ready.settled = true;
        readyResolve();
        this.idle(r);
        return;
      }
      const call = r.calls[0];
      if (!call || reply === null || typeof reply !== 'object' || !('id' in reply) || reply.id !== call.msg.id) {
        r.broken = 'an answer out of turn';
        kill(proc);
        return;
      }
      r.calls.shift();
      clearTimeout(r.timer);
      this.arm(r);
      call.resolve(reply);
    });
    proc.on('error', (e) => {
      // fork's own failure (no process): 'exit' may not follow
      readyReject(e);
      this.gone(r, e.message);
    });
    proc.on('exit', (code, signal) => {
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      readyReject(new Error(`the renderer exited before it was ready (${why})${r.stderr ? `: ${r.stderr.trim()}` : ''}`));
      this.gone(r, why);
    });
    return r;
  }

  /** The renderer ended: the call it was running fails, the others are sent again. */
  private gone(r: Renderer, why: string): void {
    if (this.current === r) this.current = undefined;
    clearTimeout(r.timer);
    const calls = r.calls.splice(0);
    if (r.retryAll) {
      for (const c of calls) c.reject(new RendererRestarted());
      return;
    }
    if (!calls.length && !this.stopped) this.log.warn('inject: the template renderer exited; a new one starts with the next request', { why, stderr: r.stderr.trim().slice(-500) || undefined });
    const [first, ...rest] = calls;
    if (first) {
      const part = first.part;
      if (r.timedOut) first.reject(new TemplateError(part, `did not render within ${first.deadlineMs} ms; the renderer was stopped`, 'time'));
      else if (r.broken) {
        this.log.error('inject: the template renderer sent a malformed answer and was stopped', { why: r.broken });
        first.reject(new TemplateError(part, `the template renderer sent ${r.broken} and was stopped`));
      }
      else {
        this.log.warn('inject: the template renderer stopped while rendering a request', { why, stderr: r.stderr.trim().slice(-500) || undefined });
        first.reject(new TemplateError(part, `the template renderer stopped while rendering (${why}; out of memory?)`));
      }
    }
    for (const c of rest) c.reject(new RendererRestarted());
  }

  private call(msg: ToRenderer & { id: number }, deadlineMs: number, part: string): Promise<FromRenderer> {
    const r = this.current;
    if (!r) return Promise.reject(new RendererRestarted());
    return new Promise((resolve, reject) => {
      r.calls.push({ msg, part, deadlineMs, resolve, reject });
      if (r.calls.length === 1) this.arm(r);
      r.proc.ref();
      (r.proc.channel as { ref?(): void } | undefined)?.ref?.();
      r.proc.send(msg, (e) => {
        // the channel closed under us: 'exit' follows and settles the call
        if (e) kill(r.proc);
      });
    });
  }

  /** The deadline of the call the renderer is running now (counted from the previous answer). */
  private arm(r: Renderer): void {
    const head = r.calls[0];
    if (!head) return this.idle(r);
    r.timer = setTimeout(() => {
      r.timedOut = true;
      kill(r.proc);
    }, head.deadlineMs);
  }

  /** The renderer broke the protocol: it is killed (the request it serves fails, the others go to a fresh one). */
  private reject(r: Renderer, why: string): void {
    this.log.error('inject: the template renderer sent a malformed answer and was stopped', { why });
    if (this.current === r) this.current = undefined;
    // the call it broke on is already answered: the ones queued behind it are not to blame
    r.retryAll = true;
    kill(r.proc);
  }

  /** An idle renderer does not keep the server's event loop alive. */
  private idle(r: Renderer): void {
    if (r.calls.length) return;
    r.proc.unref();
    (r.proc.channel as { unref?(): void } | undefined)?.unref?.();
  }
}

/** node's pid: unshare's child when the renderer runs under unshare --fork, else the process's own. */
function nodePid(proc: ChildProcess): number | undefined {
  const pid = proc.pid;
  if (pid === undefined) return undefined;
  try {
    const child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]);
    return child > 0 ? child : pid;
  } catch {
    return pid;
  }
}

/**
 * Kills the renderer: node itself, then unshare. unshare's --kill-child does not hold once it
 * has changed user (the kernel clears the parent-death signal on a credential change), and a
 * stopped renderer would stay behind.
 */
function kill(proc: ChildProcess): void {
  const node = nodePid(proc);
  if (node !== undefined && node !== proc.pid) {
    try {
      process.kill(node, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  proc.kill('SIGKILL');
}

function rowsOf(reply: FromRenderer): string[][] {
  if ('error' in reply && reply.error) {
    // strings only: turning anything else into one could walk a structure of shared parts
    // (arrays holding the next one twice, 30 deep) for minutes
    const e = (typeof reply.error === 'object' ? reply.error : {}) as Partial<WireTemplateError>;
    const limit = e.limit === 'size' || e.limit === 'time' || e.limit === 'work' ? e.limit : undefined;
    throw new TemplateError(typeof e.part === 'string' ? e.part.slice(0, 200) : 'content', typeof e.detail === 'string' ? e.detail.slice(0, 2_000) : 'the renderer failed', limit);
  }
  return ('rows' in reply && reply.rows) || [];
}

/**
 * 1 to `asked` rows of `parts` strings each, none longer than the limit, and no more in all
 * than a slice of the real renderer makes (it stops past 4M characters, after a whole row).
 */
function wellFormed(rows: unknown, asked: number, parts: number, maxChars: number): rows is string[][] {
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > asked) return false;
  let total = 0;
  const most = 4 * 1024 * 1024 + parts * maxChars;
  return rows.every((row) => Array.isArray(row) && row.length === parts && row.every((s) => typeof s === 'string' && s.length <= maxChars && (total += s.length) <= most));
}
