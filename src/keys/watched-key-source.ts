import { loadKey } from './key-source.js';
import type { KeySourceSpec } from './key-source.js';
import type { Logger } from '../logging/logger.js';
import { FileWatch } from '../tls/file-watch.js';

const NON_FILE_RELOAD_MS = 5 * 60_000;

/**
 * A text kept from a key source and re-read when it may have changed: a file is watched,
 * other sources (Vault) are read again every 5 minutes. Each read goes to `apply`, which takes
 * the new content or refuses it (returns false) so that what was loaded before stays; a read
 * that fails is logged and changes nothing. The AUTH users of an SMTP listener and the bearer
 * tokens of an HTTP listener are kept this way.
 */
export abstract class WatchedKeySource {
  private watch: FileWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** true once some content was taken */
  protected loaded = false;

  constructor(
    readonly spec: KeySourceSpec,
    protected readonly log: Logger,
    /** what is kept, as log lines name it ("listener X AUTH credentials") */
    protected readonly what: string,
  ) {}

  /** The first read, then the watch (or the timer). */
  async start(): Promise<void> {
    await this.reload();
    if (this.spec.kind === 'file') this.watch = new FileWatch([this.spec.path], () => void this.reload());
    else {
      this.timer = setInterval(() => void this.reload(), NON_FILE_RELOAD_MS);
      this.timer.unref();
    }
  }

  async reload(): Promise<void> {
    try {
      const text = (await loadKey(this.spec)).toString('utf8');
      if (this.apply(text, this.spec.kind === 'file' ? this.spec.path : this.spec.describe)) this.loaded = true;
    } catch (e) {
      // keep what we have
      this.log.error(`${this.what} cannot be loaded: ${(e as Error).message}`, { source: this.spec.describe });
    }
  }

  /** Takes `text` read from `source` (a path or a description); false: refused, the previous content stays. */
  protected abstract apply(text: string, source: string): boolean;

  close(): void {
    this.watch?.close();
    clearInterval(this.timer);
  }
}
