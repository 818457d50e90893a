/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
import type { ConfigMonitor } from '../config/monitor.js';
import type { ConfigStore } from '../config/store.js';
import type { Logger } from '../logging/logger.js';
import type { LogWriter } from '../logging/types.js';
import type { QueueManager } from '../queue/manager.js';
import type { ReceptionDeps } from '../smtp/reception.js';
import type { Spool } from '../spool/types.js';
import type { AdminState } from '../admin/admin-state.js';
import type { HookQueueView } from '../events/metrics.js';
import type { TemplateRenderer } from '../inject/render-protocol.js';

/** A reception worker as the config status shows it (`[server] workers` > 1). */
export interface WorkerStatus {
  readonly id: number;
  /** absent while it is being restarted */
  readonly pid?: number;
  readonly ready: boolean;
  /** the last config epoch it reported live (0: none yet) */
  readonly epoch: number;
}

/** What the API's route modules are built with (src/http/routes.ts). */
export interface ApiDeps {
  readonly store: ConfigStore;
  readonly monitor: ConfigMonitor;
  readonly log: Logger;
  readonly spool: Spool;
  readonly records: LogWriter;
  readonly queue: QueueManager;
  /** the reception path shared with SMTP (HTTP inject) */
  readonly reception: ReceptionDeps;
  /** renders inject templates (in a locked-down process: src/inject/render-sandbox.ts) */
  readonly renderer: TemplateRenderer;
  /** durable admin rules: bounces, suspensions (src/admin/) */
  readonly admin: AdminState;
  /** the log hook queues (hook:NAME), for the queue summary; absent when not composed */
  readonly hooks?: { views(): HookQueueView[] };
  /** the reception workers, for the config status; absent (or empty) in a single process */
  readonly workers?: () => readonly WorkerStatus[];
}
