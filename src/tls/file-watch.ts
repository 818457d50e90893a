import { statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` soon after any of `paths` changes on disk: fs.watch on their directories
 * (catches in-place writes, renames and symlink swaps such as certbot's `live/` links) plus a
 * short stat poll as the safety net for filesystems where events are lost. A change is a new
 * (mtime, size, inode) of the file a path resolves to, or the file appearing or vanishing.
 */
export class FileWatch {
  private readonly watchers: FSWatcher[] = [];
  private readonly timer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private sig: string;
  private closed = false;

  constructor(
    readonly paths: readonly string[],
    private readonly onChange: () => void,
    opts: { pollMs?: number; debounceMs?: number } = {},
  ) {
    this.sig = signature(paths);
    const names = new Set(paths.map((p) => basename(p)));
    const debounceMs = opts.debounceMs ?? 50;
    for (const dir of new Set(paths.map((p) => dirname(p)))) {
      try {
        const w = watch(dir, { persistent: false }, (_ev, file) => {
          if (file && !names.has(file.toString())) return;
          clearTimeout(this.debounce);
          this.debounce = setTimeout(() => this.check(), debounceMs);
          this.debounce.unref();
        });
        w.on('error', () => undefined); // the directory went away: the poll still covers it
        this.watchers.push(w);
      } catch {
        // directory missing: the poll notices when the file appears
      }
    }
    this.timer = setInterval(() => this.check(), opts.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Compares the files with what was last seen; calls onChange if they differ. */
  check(): void {
    if (this.closed) return;
    const s = signature(this.paths);
    if (s === this.sig) return;
    this.sig = s;
    this.onChange();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
  }
}

function signature(paths: readonly string[]): string {
  return paths
    .map((p) => {
      try {
        const st = statSync(p);
        return `${st.mtimeMs}:${st.size}:${st.ino}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}
