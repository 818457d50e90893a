// STUB — to be completed by the delivery work (issue 4): KumoMTA queues.toml format.
import type { EgressConfig } from './egress.js';
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';

export interface QueueConfig {
  readonly tenantHeader?: string;
}

export function compileQueues(_files: SourceFile[], _egress: EgressConfig, _r: Reporter): QueueConfig {
  return {};
}
