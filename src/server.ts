import { ConfigMonitor } from './config/monitor.js';
import { ConfigStore } from './config/store.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';
import { workerRole } from './runtime/cluster-role.js';
import { composeServer } from './runtime/compose.js';
import { runWorker } from './runtime/worker-runtime.js';
import type { Subsystem } from './runtime/subsystem.js';
import { refuseDebugSignal } from './runtime/debug-signal.js';
export { StartupError } from './runtime/subsystem.js';

export interface ServerOptions {
  configDir: string;
  log?: Logger;
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
  const forked = workerRole();
  if (forked) return runWorker({ configDir: opts.configDir, log, id: forked.id, epoch: forked.epoch });
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
  let subsystems: Subsystem[];
  try {
    // [server] workers > 1: this process is the owner and forks the reception workers (src/runtime/)
    subsystems = await composeServer({ store, log, monitor }, { workers: store.current.main.server.workers });
  } catch (e) {
    await monitor.stop().catch(() => undefined);
    throw e;
  }
  store.on('snapshot', (next, prev) => {
    for (const s of subsystems) {
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
    /* c8 ignore start -- fires only when a subsystem hangs past its stop deadline; none can be made to without a fault hook */
    setTimeout(() => {
      log.error(`shutdown: ${current} did not stop within ${SHUTDOWN_HARD_LIMIT_MS} ms; exiting anyway (spooled messages are safe on disk)`);
      process.exit(1);
    }, SHUTDOWN_HARD_LIMIT_MS).unref();
    /* c8 ignore stop */
    await monitor.stop();
    for (const s of [...subsystems].reverse()) {
      current = s.name;
      try {
        await s.stop(deadline);
        /* c8 ignore start -- guard: no subsystem's stop() is known to throw; one that did must not keep the others from stopping */
      } catch (e) {
        log.error(`${s.name}: stop failed`, { error: String(e) });
      }
      /* c8 ignore stop */
    }
    log.info('stopped', { ms: Date.now() - t0 });
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  refuseDebugSignal(log);
  process.on('SIGHUP', () => {
    log.info('SIGHUP: re-evaluating config');
    void monitor.force();
  });
  log.info('kumo-ts ready', { epoch: store.current.epoch });
}
