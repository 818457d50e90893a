/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
import type { ConfigIssue } from './issues.js';
import type { MainSettings } from './main-settings.js';
import type { ListenerDomains } from './listener-domains.js';
import type { EgressConfig } from './egress.js';
import type { QueueConfig } from './queues.js';
import type { DkimConfig } from '../dkim/config.js';
import type { ShapingConfig } from '../shaping/compile.js';
import type { BounceClassifier } from '../bounce/classifier.js';

/**
 * Everything kumo-ts knows about its configuration at one moment, compiled once and deeply
 * frozen. Subsystems take the current snapshot for each decision and never keep config of
 * their own, so a swap is atomic: a decision sees either the old epoch or the new one.
 */
export interface Snapshot {
  readonly epoch: number;
  /** sha256 over the watched files' paths and contents */
  readonly hash: string;
  /** the config root directory (absolute) */
  readonly root: string;
  /** every file that went into this snapshot (absolute paths) */
  readonly files: readonly string[];
  readonly compiledAt: number;
  readonly warnings: readonly ConfigIssue[];
  readonly main: MainSettings;
  readonly listenerDomains: ListenerDomains;
  readonly egress: EgressConfig;
  readonly queues: QueueConfig;
  readonly dkim: DkimConfig;
  readonly shaping: ShapingConfig;
  /** the bounce classification rules of files.bounce_classifier, compiled (src/bounce/) */
  readonly bounce: BounceClassifier;
}
