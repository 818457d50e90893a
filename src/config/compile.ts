import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { BUILTIN_BOUNCE_RULES, BUILTIN_SHAPING } from '../paths.js';
import { compileBounceClassifier } from '../bounce/compile.js';
import type { KumoMain } from './generated/kumo.js';
import { ConfigError, sortIssues } from './issues.js';
import type { ConfigIssue } from './issues.js';
import { compileMain } from './main-settings.js';
import { Reporter } from './report.js';
import { validateAgainstSchema } from './schema-validate.js';
import type { ConfigKind } from './schema-validate.js';
import { displayName, loadSourceFile } from './source-file.js';
import type { SourceFile } from './source-file.js';
import type { Snapshot } from './snapshot.js';
import { deepFreezeAsync } from './freeze.js';
import { loadValidated } from './load-async.js';
import { yieldBetweenSteps } from './yield.js';
import { hashFiles, listWatched } from './watch-set.js';
import { compileListenerDomains } from './listener-domains.js';
import { compileEgress } from './egress.js';
import { compileQueues } from './queues.js';
import { compileDkim } from '../dkim/config.js';
import type { DkimKeyCheck } from '../dkim/config.js';
import { compileBestEffort, listedHelperFiles } from './compile-best-effort.js';
import type { HelperFiles } from './compile-best-effort.js';
import { testLoadSecrets } from './test-load.js';
import type { MainSettings } from './main-settings.js';
import { compileShaping } from '../shaping/compile.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';

export const EXTENSIONS = ['toml', 'json', 'yaml', 'yml'] as const;
type HelperKind = Exclude<ConfigKind, 'kumo' | 'dns_zone'>;
const HELPER_KINDS: HelperKind[] = ['listener_domains', 'sources', 'queues', 'dkim', 'shaping', 'bounce_classifier'];
/** what "builtin" names in files.<kind> */
const BUILTIN: Partial<Record<HelperKind, string>> = { shaping: BUILTIN_SHAPING, bounce_classifier: BUILTIN_BOUNCE_RULES };

export interface CompileOptions {
  /** config root directory */
  root: string;
  epoch?: number;
  /** overrides the resolver the main file configures (tests) */
  resolver?: Resolver;
  /** `kumo-ts validate`: also load and parse every DKIM key and listener certificate (src/config/test-load.ts) */
  testLoad?: boolean;
  /**
   * A reception worker's compile (src/runtime/worker-runtime.ts): the shaping files are hashed
   * (the epoch hash is the owner's) but neither read nor compiled, and the snapshot's shaping is
   * empty. Reception never reads shaping, and the owner compiled the same files in full before
   * it announced the epoch; a 10,000-domain shaping file was most of each worker's compile.
   */
  receptionOnly?: boolean;
}

export type CompileResult =
  | { ok: true; snapshot: Snapshot; warnings: ConfigIssue[]; files: string[] }
  | { ok: false; issues: ConfigIssue[]; files: string[] };

/** Finds `kumo.toml|json|yaml|yml` in the root; exactly one must exist. */
export function findMainFile(root: string): string[] {
  return EXTENSIONS.map((e) => join(root, `kumo.${e}`)).filter((p) => existsSync(p));
}

/**
 * Compiles every config file under `root` into one frozen snapshot. Never throws for bad
 * config: every problem is returned, sorted, with file:line:col.
 */
export async function compileConfig(opts: CompileOptions): Promise<CompileResult> {
  const root = resolve(opts.root);
  const r = new Reporter();
  const used = new Set<string>();
  const fail = (): CompileResult => ({ ok: false, issues: sortIssues(r.issues), files: [...used].sort() });

  const mains = findMainFile(root);
  if (mains.length !== 1) {
    const name = displayName(join(root, 'kumo.toml'));
    r.raw({
      file: mains.length ? displayName(mains[1]) : name, line: 1, col: 1, severity: 'error',
      code: mains.length ? 'file.ambiguous-main' : 'file.missing-main',
      message: mains.length
        ? `more than one main config file in ${displayName(root)}: ${mains.map(displayName).join(', ')}`
        : `no main config file (kumo.toml, kumo.json or kumo.yaml) in ${displayName(root)}`,
    });
  }
  // A broken main file does not stop the run: the helper files are still checked (found by
  // their default names when the main file cannot say), so one run reports every problem.
  const mainLoaded = mains.length === 1 ? loadSourceFile(mains[0]) : undefined;
  if (mainLoaded) used.add(mains[0]);
  if (mainLoaded && !mainLoaded.ok) r.raw(mainLoaded.issue);
  const mainFile = mainLoaded?.ok ? mainLoaded.file : undefined;
  const mainValid = mainFile ? validateAgainstSchema('kumo', mainFile, r) : false;
  let main: MainSettings | undefined;
  if (mainFile && mainValid) main = compileMain(mainFile, root, r);
  else if (mainFile) {
    // still run the semantic checks so that every error is reported at once; a crash on
    // data of the wrong shape is expected here (the schema errors already say why)
    try {
      main = compileMain(mainFile, root, r);
    } catch {
      /* reported by the schema */
    }
  }

  const files: Record<HelperKind, SourceFile[]> = { listener_domains: [], sources: [], queues: [], dkim: [], shaping: [], bounce_classifier: [] };
  // every helper file that parsed, valid or not, in layer order (for the best-effort pass)
  const parsed: HelperFiles = { listener_domains: [], sources: [], queues: [], dkim: [], shaping: [], bounce_classifier: [] };
  const rawFiles: Record<string, string | string[] | undefined> = mainValid ? (mainFile!.data as KumoMain).files ?? {} : listedHelperFiles(mainFile?.data);
  for (const kind of HELPER_KINDS) {
    const listed = rawFiles[kind];
    let paths: string[];
    if (listed !== undefined) {
      paths = [listed].flat().map((p) => (p === 'builtin' && BUILTIN[kind] ? BUILTIN[kind] : isAbsolute(p) ? p : resolve(root, p)));
      for (const [i, p] of paths.entries())
        if (!existsSync(p)) r.error(mainFile!, ['files', kind, ...(Array.isArray(listed) ? [i] : [])], 'file.missing', `files.${kind}: ${displayName(p)} does not exist`);
    } else {
      paths = EXTENSIONS.map((e) => join(root, `${kind}.${e}`)).filter((p) => existsSync(p));
      // shaping layers: later wins, so the builtin comes first; bounce rules: first match wins,
      // so the operator's file comes before the builtin
      if (kind === 'shaping') paths.unshift(BUILTIN_SHAPING);
      if (kind === 'bounce_classifier') paths.push(BUILTIN_BOUNCE_RULES);
    }
    for (const p of paths.filter((p) => existsSync(p))) {
      used.add(p);
      if (opts.receptionOnly && kind === 'shaping') continue;
      const f = await loadValidated(p, kind, r);
      await yieldBetweenSteps();
      if (f) files[kind].push(f);
      const loaded = f ?? loadSourceFile(p);
      if ('data' in loaded) parsed[kind].push(loaded);
      else if (loaded.ok) parsed[kind].push(loaded.file);
    }
  }
  if (!main || !mainValid || HELPER_KINDS.some((k) => parsed[k].length !== files[k].length)) {
    await compileBestEffort({ root, mainFile, main, files: parsed, resolver: opts.resolver, testLoad: opts.testLoad }, r);
    return fail();
  }

  const dns = createResolver(main.dns, r);
  dns.files.forEach((f) => used.add(f));
  const resolver = opts.resolver ?? dns.resolver;

  const listenerDomains = compileListenerDomains(files.listener_domains, r);
  await yieldBetweenSteps();
  const egress = compileEgress(files.sources, r, root);
  await yieldBetweenSteps();
  const queues = compileQueues(files.queues, egress, r, root);
  const dkimChecks: DkimKeyCheck[] = [];
  const dkim = compileDkim(files.dkim, root, r, opts.testLoad ? dkimChecks : undefined);
  const bounce = compileBounceClassifier(files.bounce_classifier, r);
  await yieldBetweenSteps();
  const shaping = await compileShaping(files.shaping, { resolver, egress, main: mainFile, root, spoolPath: main.spool.path }, r);
  if (opts.testLoad) await testLoadSecrets({ mainFile, dkimChecks }, r);

  if (r.errorCount) return fail();
  await yieldBetweenSteps();
  const fileList = [...used].sort();
  const warnings = sortIssues(r.issues.filter((i) => i.severity === 'warning'));
  const snapshot: Snapshot = await deepFreezeAsync({
    epoch: opts.epoch ?? 1,
    hash: hashFiles(listWatched(root, main.monitor.globs, fileList)),
    root,
    files: fileList,
    compiledAt: Date.now(),
    warnings,
    main,
    listenerDomains,
    egress,
    queues,
    dkim,
    shaping,
    bounce,
  });
  return { ok: true, snapshot, warnings, files: fileList };
}

/** Like compileConfig but throws ConfigError; for tests and tools. */
export async function compileOrThrow(opts: CompileOptions): Promise<Snapshot> {
  const res = await compileConfig(opts);
  if (!res.ok) throw new ConfigError(res.issues);
  return res.snapshot;
}
