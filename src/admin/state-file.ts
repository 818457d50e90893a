import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AdminRule } from './rules.js';

/** The admin rules file inside the spool directory (it lives and dies with the spool). */
export const ADMIN_STATE_FILE = 'admin-state.json';

interface StateFileV1 {
  version: 1;
  rules: AdminRule[];
}

export class AdminStateFileError extends Error {
  readonly code = 'admin.state-file';
}

/** Reads the rules saved under `dir`; none when the file does not exist. Throws on a corrupt file. */
export function readAdminState(dir: string): AdminRule[] {
  const path = join(dir, ADMIN_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let data: StateFileV1;
  try {
    data = JSON.parse(text) as StateFileV1;
  } catch (e) {
    throw new AdminStateFileError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (data?.version !== 1 || !Array.isArray(data.rules)) throw new AdminStateFileError(`${path}: unknown format (expected {"version":1,"rules":[...]})`);
  return data.rules;
}

/**
 * Replaces the file atomically and durably: write a temp file, fsync it, rename it over the
 * old one, fsync the directory (so the rename itself survives a power loss).
 */
export async function writeAdminState(dir: string, rules: readonly AdminRule[]): Promise<void> {
  const path = join(dir, ADMIN_STATE_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  const body = JSON.stringify({ version: 1, rules: [...rules] } satisfies StateFileV1, null, 1) + '\n';
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await open(dirname(path), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
