import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXAMPLE_CONFIG } from '../paths.js';

/**
 * The config root: --config, else KUMO_TS_CONFIG, else ./config. When none was given and
 * ./config does not exist, the example config shipped with kumo-ts is used, so that
 * `npx kumo-ts serve` works on a fresh machine.
 */
export function configDir(opt?: string): { dir: string; builtin: boolean } {
  const given = opt ?? process.env.KUMO_TS_CONFIG;
  if (given) return { dir: resolve(given), builtin: false };
  const local = resolve('config');
  if (existsSync(local)) return { dir: local, builtin: false };
  return { dir: EXAMPLE_CONFIG, builtin: true };
}
