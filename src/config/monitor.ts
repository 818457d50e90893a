import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { compileConfig } from './compile.js';
import type { Resolver } from '../dns/resolver.js';
import type { ConfigStore } from './store.js';
import { CONFIG_EXT, SKIP_DIRS, dirsOf, hashFiles, listWatched } from './watch-set.js';
import { basename } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { formatIssue } from './issues.js';

export interface MonitorOptions {
  root: string;
  store: ConfigStore;
  log: Logger;
  /** test hook: overrides the configured resolver */
  resolver?: Resolver;
  /** default poll interval before the first snapshot says otherwise */
  pollIntervalMs?: number;
}

/**
 * Watches the config files and swaps in a new snapshot whenever their content hash changes.
 * chokidar events trigger a check at once (debounced); a periodic poll is the safety net for
 * filesystems where events are lost. Checks never overlap.
 */
export class ConfigMonitor {
  private watcher: FSWatcher | undefined;
  private watchedDirs = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastHash = '';
  private epoch = 0;
  private extraFiles: string[] = [];
  private globs: readonly string[] = [];
  private stopped = false;

  constructor(private readonly opts: MonitorOptions) {}

  /** Compiles the initial config. Throws if it is invalid (there is nothing to serve). */
  async start(): Promise<void> {
    await this.check(true);
    if (!this.opts.store.loaded) {
      const f = this.opts.store.lastFailure;
      throw new Error(`invalid config in ${this.opts.root}:\n${f?.issues.map(formatIssue).join('\n') ?? ''}`);
    }
    this.watcher = watch([], {
      ignoreInitial: true,
      awaitWriteFinish: false,
      depth: 8,
      // only config files and the files the last compile read; a spool or log directory that
      // lives under the config root must not turn every write into a config check
      ignored: (path, stats) => {
        if (SKIP_DIRS.has(basename(path))) return true;
        if (!stats?.isFile()) return false;
        return !CONFIG_EXT.test(path) && !this.extraFiles.includes(path);
      },
    });
    this.watcher.on('all', () => this.trigger());
    this.watcher.on('error', (e) => this.opts.log.warn('config watcher error', { error: String(e) }));
    const ready = new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.rewatch();
    // changes made before chokidar's first scan completes would otherwise wait for the poll
    await Promise.race([ready, new Promise((r) => setTimeout(r, 2000).unref())]);
    this.schedulePoll();
  }

  /** Re-evaluate now even if nothing changed on disk (SIGHUP, bump-config-epoch). */
  async force(): Promise<void> {
    this.lastHash = '';
    await this.runCheck();
  }

  /** Debounced check after a file event. */
  trigger(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.runCheck(), 50);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.debounce);
    await this.watcher?.close();
    await this.running;
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    const ms = this.opts.store.loaded ? this.opts.store.current.main.monitor.pollIntervalMs : (this.opts.pollIntervalMs ?? 10_000);
    this.timer = setTimeout(() => void this.runCheck().finally(() => this.schedulePoll()), ms);
    this.timer.unref();
  }

  /** Serializes checks: a request during a check runs one more check afterwards. */
  private async runCheck(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.check(false);
          /* c8 ignore start -- guard: check() reports bad config itself; this keeps the poll loop alive on a bug */
        } catch (e) {
          this.opts.log.error('config check failed', { error: (e as Error).stack ?? String(e) });
        }
        /* c8 ignore stop */
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async check(initial: boolean): Promise<void> {
    const root = this.opts.root;
    const watched = listWatched(root, this.globs, this.extraFiles);
    const hash = hashFiles(watched);
    if (hash === this.lastHash) return;
    this.lastHash = hash;
    if (!initial) this.opts.store.compiling({ epoch: this.epoch + 1 });
    const t0 = performance.now();
    const res = await compileConfig({ root, epoch: this.epoch + 1, resolver: this.opts.resolver });
    const ms = Math.round(performance.now() - t0);
    const grew = res.files.some((f) => !watched.includes(f));
    const globsBefore = this.globs;
    this.extraFiles = res.files;
    if (res.ok) {
      this.globs = res.snapshot.main.monitor.globs;
      this.epoch = res.snapshot.epoch;
      for (const w of res.warnings) this.opts.log.warn(`config warning: ${formatIssue(w)}`);
      this.opts.store.swap(res.snapshot);
      this.opts.log.info(`config epoch ${res.snapshot.epoch} live`, { hash: res.snapshot.hash.slice(0, 12), files: res.files.length, compile_ms: ms });
    } else {
      const errors = res.issues.filter((i) => i.severity === 'error');
      this.opts.log.error(
        initial ? `config is invalid (${errors.length} errors)` : `config change rejected (${errors.length} errors); epoch ${this.epoch} keeps serving`,
        { errors: errors.map(formatIssue) },
      );
      for (const i of errors) this.opts.log.error(`config error: ${formatIssue(i)}`);
      this.opts.store.reject({ at: Date.now(), hash, issues: res.issues });
    }
    // files found only by compiling (the builtin shaping file, helpers named by the main
    // file) are watched from now on; without this the next poll would see a "changed" hash
    // and swap in an identical snapshot under a new epoch
    if (grew || this.globs.join('\n') !== globsBefore.join('\n')) this.lastHash = hashFiles(listWatched(root, this.globs, this.extraFiles));
    if (!initial) this.rewatch();
  }

  /** Keeps chokidar watching the config root and the directories of every file used. */
  private rewatch(): void {
    if (!this.watcher) return;
    const want = new Set([this.opts.root, ...dirsOf(this.extraFiles)]);
    const add = [...want].filter((d) => !this.watchedDirs.has(d));
    const remove = [...this.watchedDirs].filter((d) => !want.has(d));
    if (add.length) this.watcher.add(add);
    if (remove.length) this.watcher.unwatch(remove);
    this.watchedDirs = want;
  }
}
