import { compileDkim } from '../dkim/config.js';
import type { DkimKeyCheck } from '../dkim/config.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';
import { compileShaping } from '../shaping/compile.js';
import { compileEgress } from './egress.js';
import type { EgressConfig } from './egress.js';
import { compileListenerDomains } from './listener-domains.js';
import type { MainSettings } from './main-settings.js';
import { compileQueues } from './queues.js';
import { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';
import { testLoadSecrets } from './test-load.js';

export type HelperFiles = Record<'listener_domains' | 'sources' | 'queues' | 'dkim' | 'shaping' | 'bounce_classifier', SourceFile[]>;

export interface BestEffortInput {
  readonly root: string;
  readonly mainFile?: SourceFile;
  readonly main?: MainSettings;
  /** every helper file that parsed, valid or not, in layer order */
  readonly files: HelperFiles;
  readonly resolver?: Resolver;
  readonly testLoad?: boolean;
}

/**
 * The `files` listing of a main file whose schema check failed: used only where it has the
 * right shape, otherwise the helper files are found by their default names.
 */
export function listedHelperFiles(data: unknown): Record<string, string | string[]> {
  const files = data && typeof data === 'object' ? (data as { files?: unknown }).files : undefined;
  if (!files || typeof files !== 'object' || Array.isArray(files)) return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(files))
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) out[k] = v as string | string[];
  return out;
}

/**
 * Runs every semantic compiler over every file even though some failed their schema check or
 * the main file is broken, so that one `validate` run reports every problem of every file. The
 * snapshot is refused anyway; a compiler that trips over data of the wrong shape is skipped
 * (the schema errors already say why), and an issue at a position the schema already reported
 * is dropped as a repeat.
 */
export async function compileBestEffort(input: BestEffortInput, r: Reporter): Promise<void> {
  const { files, root } = input;
  const shadow = new Reporter();
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
      /* c8 ignore next 3 -- guard: a compiler choking on data the schema already rejected */
    } catch {
      return undefined;
    }
  };
  attempt(() => compileListenerDomains(files.listener_domains, shadow));
  const compiledEgress = attempt(() => compileEgress(files.sources, shadow));
  const egress: EgressConfig = compiledEgress ?? compileEgress([], new Reporter());
  attempt(() => compileQueues(files.queues, egress, shadow));
  const dkimChecks: DkimKeyCheck[] = [];
  attempt(() => compileDkim(files.dkim, root, shadow, dkimChecks));
  if (input.main) {
    const resolver = input.resolver ?? attempt(() => createResolver(input.main!.dns, shadow).resolver);
    if (resolver) {
      try {
        await compileShaping(files.shaping, { resolver, egress, main: input.mainFile, root, spoolPath: input.main.spool.path }, shadow);
        /* c8 ignore next 3 -- guard: data of the wrong shape, reported by the schema */
      } catch {
        /* data of the wrong shape: reported by the schema */
      }
    }
  }

  const taken = new Set(r.issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line}:${i.col}`));
  const seen = new Set(r.issues.map((i) => `${i.file}:${i.line}:${i.col}:${i.code}:${i.message}`));
  for (const i of shadow.issues) {
    // without the pools of a sources file that did not compile, every reference looks unknown
    if (!compiledEgress && i.code.startsWith('ref.')) continue;
    if (i.severity === 'error' && taken.has(`${i.file}:${i.line}:${i.col}`)) continue;
    const id = `${i.file}:${i.line}:${i.col}:${i.code}:${i.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    r.raw(i);
  }
  if (input.testLoad) await testLoadSecrets({ mainFile: input.mainFile, dkimChecks }, r);
}
