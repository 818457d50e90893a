import type { KeyPath, SourceFile } from '../config/source-file.js';

/** A value and where it was written, so a problem can be reported at its position. */
export interface Found<T> {
  readonly value: T;
  readonly file: SourceFile;
  readonly path: KeyPath;
}

/**
 * One config table written in several files (KumoMTA merges dkim data files key by key):
 * `get` returns the value from the last file that sets the key, with its position.
 */
export class Layers<T extends object> {
  private readonly parts: { file: SourceFile; path: KeyPath; data: T }[] = [];

  add(file: SourceFile, path: KeyPath, data: T): void {
    this.parts.push({ file, path, data });
  }

  get<K extends keyof T>(key: K): Found<Exclude<T[K], undefined>> | undefined {
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i];
      const v = p.data[key];
      if (v !== undefined) return { value: v as Exclude<T[K], undefined>, file: p.file, path: [...p.path, key as string] };
    }
    return undefined;
  }

  /** Where the table is first written (for problems with the table as a whole). */
  first(): { file: SourceFile; path: KeyPath } {
    return this.parts[0];
  }
}
