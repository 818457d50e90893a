/**
 * Renders inject templates in a separate, locked-down process (render-child.ts), so that a
 * template that gets past the checks of template-syntax.ts reaches nothing of the server: it
 * cannot read the spool, keys or config, write a file, start a process or signal the server
 * (as `nobody` when the server runs as root), and a rendering that runs away in memory ends
 * the renderer, not the server. Node's permission model does not cover the network in Node 20:
 * the renderer could still open loopback connections.
 *
 * The renderer answers one message at a time. Each answer has a deadline counted from the
 * previous one (a rendering is bounded by template_timeout inside the renderer; the deadline
 * is the backstop): past it, the renderer is killed, the request it was serving fails, and the
 * requests queued behind it are sent again to a fresh renderer.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logging/logger.js';
import type { FromRenderer, JobSpec, TemplateJob, TemplateRenderer, ToRenderer } from './render-protocol.js';
import type { InjectRecipient } from './schema.js';
import type { RenderLimits } from './template-budget.js';
import { TemplateError } from './templates.js';

const require = createRequire(import.meta.url);

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
}

/** What a process started from the server's own code may read: its code and its packages. */
export function rendererReadPaths(): string[] {
  const dist = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
  const modules = realpathSync(dirname(dirname(require.resolve('nunjucks/package.json'))));
  // Node reads the package.json above dist/ for "type": "module"
  const pkg = join(dirname(dist), 'package.json');
  return [join(dist, '*'), join(modules, '*'), pkg];
}

/** The node flags of the renderer: the permission model with reads of its own code only. */
export function rendererExecArgv(heapMb: number): string[] {
  return [
    '--experimental-permission',
    ...rendererReadPaths().map((p) => `--allow-fs-read=${p}`),
    '--disable-warning=ExperimentalWarning',
    `--max-old-space-size=${heapMb}`,
  ];
}

/** The uid/gid of `nobody` (65534 when /etc/passwd does not say). */
function nobody(): { uid: number; gid: number } {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    const f = line?.split(':');
    if (f && Number.isInteger(Number(f[2])) && Number.isInteger(Number(f[3]))) return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    /* no passwd file: the usual numbers */
  }
  return { uid: 65534, gid: 65534 };
}

interface Call {
  readonly msg: ToRenderer & { id: number };
  readonly deadlineMs: number;
  resolve(reply: FromRenderer): void;
  reject(e: Error): void;
}

interface Renderer {
  readonly proc: ChildProcess;
  readonly generation: number;
  readonly ready: Promise<void>;
  /** messages sent and not yet answered, in the order the renderer takes them */
  readonly calls: Call[];
  timer?: NodeJS.Timeout;
  /** the first call was past its deadline: the renderer was killed for it */
  timedOut?: boolean;
  stderr: string;
}

export class TemplateSandbox implements TemplateRenderer {
  private current?: Renderer;
  private generation = 0;
  private nextId = 1;
  private nextJob = 1;
  private stopped = false;
  /** false once `nobody` could not start the renderer (it cannot read the code) */
  private dropPrivileges = process.getuid?.() === 0;
  private readonly heapMb: number;
  private readonly openTimeoutMs: number;

  constructor(private readonly log: Logger, opts: SandboxOptions = {}) {
    this.heapMb = opts.heapMb ?? 2048;
    this.openTimeoutMs = opts.openTimeoutMs ?? 10_000;
  }

  /** The renderer's pid, once started (tests, status). */
  get pid(): number | undefined {
    return this.current?.proc.pid;
  }

  async open(spec: JobSpec): Promise<TemplateJob> {
    const job = this.nextJob++;
    let openedIn = await this.openIn(job, spec);
    const render = async (recipients: readonly InjectRecipient[], limits: RenderLimits, attempt = 0): Promise<string[][]> => {
      try {
        const r = await this.renderer();
        if (r.generation !== openedIn) openedIn = await this.openIn(job, spec);
        const reply = await this.call({ op: 'render', id: this.nextId++, job, recipients: recipients.slice(0, 256), limits }, 2 * limits.timeMs + 2_000);
        if ('unknownJob' in reply && reply.unknownJob) {
          openedIn = -1;
          throw new RendererRestarted();
        }
        return rowsOf(reply);
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
    this.current?.proc.kill('SIGKILL');
  }

  private async openIn(job: number, spec: JobSpec, attempt = 0): Promise<number> {
    try {
      const r = await this.renderer();
      const reply = await this.call({ op: 'open', id: this.nextId++, job, spec }, this.openTimeoutMs);
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
      if (this.dropPrivileges) {
        // nobody may not be able to read the code (a checkout under /root): the permission
        // model still holds without the uid change
        this.dropPrivileges = false;
        this.log.warn('inject: the template renderer could not start as nobody; it runs as the server\'s user (still without file writes, processes or addons)', { error: (e as Error).message });
        return this.renderer();
      }
      throw new RendererUnavailableError((e as Error).message);
    }
    return r;
  }

  private spawn(): Renderer {
    const child = fileURLToPath(new URL('./render-child.js', import.meta.url));
    const proc = fork(child, [], {
      execArgv: rendererExecArgv(this.heapMb),
      serialization: 'advanced',
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(this.dropPrivileges ? nobody() : {}),
    });
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    ready.catch(() => undefined);
    const r: Renderer = { proc, generation: ++this.generation, ready, calls: [], stderr: '' };
    proc.stderr?.setEncoding('utf8');
    // what the renderer writes is kept for the log; the pipe alone keeps nothing alive
    (proc.stderr as { unref?(): void } | null)?.unref?.();
    proc.stderr?.on('data', (s: string) => {
      r.stderr = (r.stderr + s).slice(-2_000);
    });
    proc.on('message', (m: FromRenderer) => {
      if ('op' in m) {
        readyResolve();
        this.idle(r);
        return;
      }
      const call = r.calls.shift();
      clearTimeout(r.timer);
      this.arm(r);
      call?.resolve(m);
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
    if (!calls.length && !this.stopped) this.log.warn('inject: the template renderer exited; a new one starts with the next request', { why, stderr: r.stderr.trim().slice(-500) || undefined });
    const [first, ...rest] = calls;
    if (first) {
      const part = first.msg.op === 'open' ? first.msg.spec.parts[0]?.part ?? 'content' : 'content';
      if (r.timedOut) first.reject(new TemplateError(part, `did not render within ${first.deadlineMs} ms; the renderer was stopped`, 'time'));
      else {
        this.log.warn('inject: the template renderer stopped while rendering a request', { why, stderr: r.stderr.trim().slice(-500) || undefined });
        first.reject(new TemplateError(part, `the template renderer stopped while rendering (${why}; out of memory?)`));
      }
    }
    for (const c of rest) c.reject(new RendererRestarted());
  }

  private call(msg: ToRenderer & { id: number }, deadlineMs: number): Promise<FromRenderer> {
    const r = this.current;
    if (!r) return Promise.reject(new RendererRestarted());
    return new Promise((resolve, reject) => {
      r.calls.push({ msg, deadlineMs, resolve, reject });
      if (r.calls.length === 1) this.arm(r);
      r.proc.ref();
      (r.proc.channel as { ref?(): void } | undefined)?.ref?.();
      r.proc.send(msg, (e) => {
        // the channel closed under us: 'exit' follows and settles the call
        if (e) r.proc.kill('SIGKILL');
      });
    });
  }

  /** The deadline of the call the renderer is running now (counted from the previous answer). */
  private arm(r: Renderer): void {
    const head = r.calls[0];
    if (!head) return this.idle(r);
    r.timer = setTimeout(() => {
      r.timedOut = true;
      r.proc.kill('SIGKILL');
    }, head.deadlineMs);
  }

  /** An idle renderer does not keep the server's event loop alive. */
  private idle(r: Renderer): void {
    if (r.calls.length) return;
    r.proc.unref();
    (r.proc.channel as { unref?(): void } | undefined)?.unref?.();
  }
}

function rowsOf(reply: FromRenderer): string[][] {
  if ('error' in reply && reply.error) throw new TemplateError(reply.error.part, reply.error.detail, reply.error.limit);
  return ('rows' in reply && reply.rows) || [];
}
