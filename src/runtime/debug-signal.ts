/**
 * SIGUSR1 makes Node open its inspector on 127.0.0.1:9229, which runs any code sent to it,
 * from any local process of any user. A process of the server's own user (a template renderer
 * that was taken over, for one) could take the server over with one signal. A listener of our
 * own keeps Node from starting the inspector; an operator who needs it starts kumo-ts with
 * --inspect instead.
 */
import type { Logger } from '../logging/logger.js';

export function refuseDebugSignal(log: Logger): void {
  process.on('SIGUSR1', () => log.warn('SIGUSR1 ignored: kumo-ts does not open the inspector on a signal (start it with --inspect instead)'));
}
