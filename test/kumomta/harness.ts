import { basename, join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import type { CompileResult } from '../../src/config/compile.js';
import type { ConfigIssue } from '../../src/config/issues.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import type { StaticZone } from '../../src/dns/static-resolver.js';
import { tempTree } from '../helpers/tmp.js';

export const DOCS_FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'kumomta-docs');

/** Test scaffolding, not from the docs: MX records for the domains the examples' shaping blocks roll up. */
export const ZONE: StaticZone = {
  'gmail.com': { mx: ['5 gmail-smtp-in.l.google.com', '10 alt1.gmail-smtp-in.l.google.com', '20 alt2.gmail-smtp-in.l.google.com'] },
  'yahoo.com': { mx: ['1 mta5.am0.yahoodns.net', '1 mta6.am0.yahoodns.net', '1 mta7.am0.yahoodns.net'] },
  'foo.com': { mx: ['1 mta5.am0.yahoodns.net', '1 mta6.am0.yahoodns.net', '1 mta7.am0.yahoodns.net'] },
  'comcast.net': { mx: ['5 mx1a1.comcast.net', '5 mx2c1.comcast.net'] },
  'orange.fr': { mx: ['10 smtp-in.orange.fr'] },
  'example.com': { mx: ['10 mx.example.com'] },
  'mx.example.com': { a: ['192.0.2.25'] },
  'broken-tls-destination.example': { mx: ['10 mx.broken-tls-destination.example'] },
};

export type HelperKind = 'listener_domains' | 'sources' | 'queues' | 'dkim' | 'shaping';

/** The helper kind of a fixture file, by its name (KumoMTA's docs call the DKIM file dkim_data.toml). */
export function kindOf(file: string): HelperKind {
  const b = basename(file);
  if (b.startsWith('listener_domains')) return 'listener_domains';
  if (b.startsWith('sources')) return 'sources';
  if (b.startsWith('queues')) return 'queues';
  if (b.startsWith('dkim')) return 'dkim';
  if (b.startsWith('shaping')) return 'shaping';
  throw new Error(`no helper kind for ${file}`);
}

/**
 * Compiles a config whose helper files are `files` (absolute paths, in layer order) and,
 * optionally, `extra` helper files written by the test (scaffolding). Shaping layers go over
 * kumo-ts's builtin shaping.toml, as they would in a deployment.
 */
export async function compileWith(files: readonly string[], extra: Record<string, string> = {}, opts: { testLoad?: boolean; main?: string } = {}): Promise<CompileResult & { cleanup(): void }> {
  const t = tempTree();
  const byKind: Partial<Record<HelperKind, string[]>> = {};
  for (const f of files) (byKind[kindOf(f)] ??= []).push(f);
  for (const [name, text] of Object.entries(extra)) (byKind[kindOf(name)] ??= []).push(t.write(name, text));
  if (byKind.shaping) byKind.shaping.unshift('builtin');
  const list = Object.entries(byKind).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n');
  t.write('kumo.toml', `[server]\nsmtp = false\n[spool]\npath = ${JSON.stringify(join(t.dir, 'spool'))}\n${opts.main ?? ''}\n[files]\n${list}\n`);
  const res = await compileConfig({ root: t.dir, resolver: new StaticResolver(ZONE), testLoad: opts.testLoad });
  return Object.assign(res, { cleanup: t.cleanup });
}

/** `file:line code key` for each issue, the file by its name in the fixture directory. */
export function describe(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => `${basename(i.file)}:${i.line} ${i.code} ${i.message.split(':')[0]}`);
}
