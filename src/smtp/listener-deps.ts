/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
import type { ConfigStore } from '../config/store.js';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../logging/logger.js';
import type { SharedIpLimit } from './ip-connections.js';
import type { SharedAuthFailures } from '../auth/failure-limit.js';
import type { ReceptionDeps } from './reception.js';

/** What a listener and its sessions are built with. */
export interface ListenerDeps {
  readonly store: ConfigStore;
  readonly reception: ReceptionDeps;
  readonly log: Logger;
  /** kumo-ts's resolver for PTR lookups (listener reverse_lookup) */
  readonly resolver: () => Resolver | undefined;
  /** node-wide per-IP counts (reception workers); without it each listener counts its own */
  readonly sharedIpLimit?: SharedIpLimit;
  /** node-wide AUTH failure counts (reception workers); without it each listener counts its own */
  readonly sharedAuthFailures?: SharedAuthFailures;
}
