import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import micromatch from 'micromatch';

export const CONFIG_GLOB = '**/*.{toml,json,yaml,yml}';
export const SKIP_DIRS = new Set(['node_modules', '.git', 'data', 'dist']);
export const CONFIG_EXT = /\.(toml|json|ya?ml)$/i;

function walk(dir: string, out: string[], depth = 0): void {
  if (depth > 8) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(join(dir, e.name), out, depth + 1);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(join(dir, e.name));
  }
}

/**
 * The files the monitor watches: everything under the config root matching the default glob
 * or the configured ones, plus every file the last compile read (which may live elsewhere,
 * such as the built-in shaping file or a TLS certificate directory).
 */
export function listWatched(root: string, globs: readonly string[], extraFiles: readonly string[]): string[] {
  const found: string[] = [];
  walk(root, found);
  const patterns = [CONFIG_GLOB, ...globs];
  const set = new Set<string>();
  for (const f of found) if (micromatch.isMatch(relative(root, f), patterns, { dot: false })) set.add(f);
  for (const g of globs) {
    // globs that point outside the root (../shaping/*.toml): walk their base directory too
    if (g.startsWith('..') || g.startsWith('/')) {
      const abs = resolve(root, g);
      const base = micromatch.scan(abs).base;
      const extra: string[] = [];
      walk(base, extra);
      for (const f of extra) if (micromatch.isMatch(f, abs)) set.add(f);
    }
  }
  for (const f of extraFiles) set.add(resolve(f));
  return [...set].sort();
}

/** sha256 over each file's path and content; a missing file hashes as missing. */
export function hashFiles(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f).update('\0');
    try {
      if (statSync(f).isFile()) h.update(readFileSync(f));
      else h.update('\u0001not-a-file');
    } catch {
      h.update('\u0001missing');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

export const dirsOf = (files: readonly string[]) => [...new Set(files.map((f) => dirname(f)))];
