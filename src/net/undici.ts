import { createRequire } from 'node:module';

type Undici = typeof import('undici');
let loaded: Undici | undefined;

/**
 * undici, loaded on first use. Every kumo-ts process imports the modules that may speak
 * HTTP (the CLI's API client, Vault keys, webhooks, MTA-STS, HTTP delivery), but most never
 * do: loading undici up front was ~80 ms of CPU of each start (the owner, every reception
 * worker, each CLI command), the largest single module. undici is CommonJS, so a synchronous
 * require keeps every caller's API as it was.
 */
export function undici(): Undici {
  return (loaded ??= createRequire(import.meta.url)('undici') as Undici);
}
