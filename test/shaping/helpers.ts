import { compileConfig } from '../../src/config/compile.js';
import type { CompileResult } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import type { Snapshot } from '../../src/config/snapshot.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import type { StaticZone } from '../../src/dns/static-resolver.js';
import { tempTree } from '../helpers/tmp.js';

export const trees: { cleanup(): void }[] = [];
export function cleanupTrees(): void {
  while (trees.length) trees.pop()!.cleanup();
}

/**
 * Compiles a config whose shaping files are exactly `shaping` (name → text, in layer order;
 * the built-in file is left out unless listed as "builtin"), with DNS answered from `zone`.
 */
export async function compileShapingFiles(shaping: Record<string, string>, zone: StaticZone = {}, mainExtra = ''): Promise<CompileResult & { dir: string }> {
  const names = Object.keys(shaping);
  const files: Record<string, string> = {
    'kumo.toml': `${mainExtra}\n[server]\nsmtp = false\n[files]\nshaping = [${names.map((n) => JSON.stringify(n)).join(', ')}]\n`,
  };
  for (const [n, text] of Object.entries(shaping)) if (n !== 'builtin' && !n.startsWith('/')) files[n] = text;
  const t = tempTree(files, 'kumo-ts-shaping-');
  trees.push(t);
  const res = await compileConfig({ root: t.dir, resolver: new StaticResolver(zone) });
  return { ...res, dir: t.dir };
}

export async function snapshotOf(shaping: Record<string, string>, zone: StaticZone = {}, mainExtra = ''): Promise<Snapshot> {
  const res = await compileShapingFiles(shaping, zone, mainExtra);
  if (!res.ok) throw new Error(res.issues.map(formatIssue).join('\n'));
  return res.snapshot;
}

/** Yahoo-style and Google-style MX sets for static zones. */
export const YAHOO_MX = ['1 mta5.am0.yahoodns.net', '1 mta6.am0.yahoodns.net', '1 mta7.am0.yahoodns.net'];
export const GOOGLE_MX = ['5 gmail-smtp-in.l.google.com', '10 alt1.gmail-smtp-in.l.google.com', '20 alt2.gmail-smtp-in.l.google.com'];
