import { ConfigMonitor } from './config/monitor.js';
import { ConfigStore } from './config/store.js';
import type { Snapshot } from './config/snapshot.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';

/**
 * A part of the running server. Every subsystem is started with the store, reads the current
 * snapshot for each decision, and may react to a new one (`apply`) to reconcile resources
 * such as listening sockets or connection pools.
 */
export interface Subsystem {
  readonly name: string;
  start(ctx: ServerContext): Promise<void>;
  apply?(next: Snapshot, prev: Snapshot | undefined): Promise<void> | void;
  /** Stop intake, finish or hand back in-flight work, flush; must finish within the deadline. */
  stop(deadlineMs: number): Promise<void>;
}

export interface ServerContext {
  readonly store: ConfigStore;
  readonly log: Logger;
  readonly monitor: ConfigMonitor;
  /** subsystems started so far, by name (later ones may use earlier ones) */
  readonly subsystems: ReadonlyMap<string, Subsystem>;
  /**
   * Shared runtime objects by name, provided by the subsystem that owns them:
   * 'spool' (Spool), 'records' (LogWriter), 'intake' (QueueIntake), 'resolver' (() => Resolver).
   */
  readonly services: Services;
}

export class Services {
  private readonly map = new Map<string, unknown>();
  provide<T>(name: string, value: T): void {
    if (this.map.has(name)) throw new Error(`service ${name} provided twice`);
    this.map.set(name, value);
  }
  get<T>(name: string): T {
    if (!this.map.has(name)) throw new Error(`service ${name} is not available (is its subsystem registered before this one?)`);
    return this.map.get(name) as T;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
}

/** A subsystem could not start; the process must exit non-zero (`serve` prints the reason). */
export class StartupError extends Error {
  readonly code = 'STARTUP_FAILED';
  constructor(readonly subsystem: string, cause: Error) {
    super(cause.message, { cause });
    this.name = 'StartupError';
  }
}

export interface ServerOptions {
  configDir: string;
  log?: Logger;
}

/** Subsystem factories in start order; stop runs in reverse. */
export type SubsystemFactory = () => Subsystem;
const factories: SubsystemFactory[] = [];
export function registerSubsystem(f: SubsystemFactory): void {
  factories.push(f);
}

/**
 * The graceful stop: every subsystem must be done by SHUTDOWN_BUDGET_MS after the signal;
 * delivery gets its own shorter drain (DELIVERY_DRAIN_MS in queue/manager.ts) inside it so that spool and records
 * keep time to flush. Past SHUTDOWN_HARD_LIMIT_MS the process exits regardless.
 */
export const SHUTDOWN_BUDGET_MS = 8_000;
const SHUTDOWN_HARD_LIMIT_MS = 9_500;

export async function runServer(opts: ServerOptions): Promise<void> {
  const log = opts.log ?? createLogger();
  const store = new ConfigStore();
  const monitor = new ConfigMonitor({ root: opts.configDir, store, log });
  log.info('kumo-ts starting', { config: opts.configDir, pid: process.pid });
  try {
    await monitor.start();
  } catch (e) {
    log.error((e as Error).message);
    process.exitCode = 1;
    return;
  }
  const subsystems = new Map<string, Subsystem>();
  const ctx: ServerContext = { store, log, monitor, subsystems, services: new Services() };
  await import('./subsystems.js');
  for (const f of factories) {
    const s = f();
    try {
      await s.start(ctx);
    } catch (e) {
      // a start failure (spool locked by another process, a listener that cannot bind...) is
      // fatal: undo what started, newest first, and let the caller exit non-zero
      log.error(`${s.name}: cannot start: ${(e as Error).message}`, { code: (e as { code?: string }).code });
      await monitor.stop().catch(() => undefined);
      for (const t of [s, ...[...subsystems.values()].reverse()]) await t.stop(Date.now() + 2_000).catch(() => undefined);
      throw new StartupError(s.name, e as Error);
    }
    subsystems.set(s.name, s);
  }
  store.on('snapshot', (next, prev) => {
    for (const s of subsystems.values()) {
      Promise.resolve(s.apply?.(next, prev)).catch((e) => log.error(`${s.name}: applying epoch ${next.epoch} failed`, { error: String(e) }));
    }
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const t0 = Date.now();
    const deadline = t0 + SHUTDOWN_BUDGET_MS;
    log.info(`${signal}: shutting down`, { budget_ms: SHUTDOWN_BUDGET_MS });
    let current = 'config monitor';
    // supervisors (docker stop, many unit files) SIGKILL after 10 s: exit first, saying what hung
    setTimeout(() => {
      log.error(`shutdown: ${current} did not stop within ${SHUTDOWN_HARD_LIMIT_MS} ms; exiting anyway (spooled messages are safe on disk)`);
      process.exit(1);
    }, SHUTDOWN_HARD_LIMIT_MS).unref();
    await monitor.stop();
    for (const s of [...subsystems.values()].reverse()) {
      current = s.name;
      try {
        await s.stop(deadline);
      } catch (e) {
        log.error(`${s.name}: stop failed`, { error: String(e) });
      }
    }
    log.info('stopped', { ms: Date.now() - t0 });
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: re-evaluating config');
    void monitor.force();
  });
  log.info('kumo-ts ready', { epoch: store.current.epoch });
}
