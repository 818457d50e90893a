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
    await s.start(ctx);
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
    const deadline = Date.now() + 9_000;
    log.info(`${signal}: shutting down`);
    await monitor.stop();
    for (const s of [...subsystems.values()].reverse()) {
      try {
        await s.stop(deadline);
      } catch (e) {
        log.error(`${s.name}: stop failed`, { error: String(e) });
      }
    }
    log.info('stopped');
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
