import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('kumo-ts: cannot find the package root');
    dir = up;
  }
  return dir;
}

/** The installed kumo-ts package (holds schemas/, shaping/ and the example config/). */
export const PACKAGE_ROOT = findRoot();
export const SCHEMA_DIR = join(PACKAGE_ROOT, 'schemas');
export const BUILTIN_SHAPING = join(PACKAGE_ROOT, 'shaping', 'shaping.toml');
/** kumo-ts's own bounce classification rules (KumoMTA's rules-file format) */
export const BUILTIN_BOUNCE_RULES = join(PACKAGE_ROOT, 'shaping', 'bounce_classifier.toml');
export const EXAMPLE_CONFIG = join(PACKAGE_ROOT, 'config');
