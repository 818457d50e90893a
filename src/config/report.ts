import type { ConfigIssue } from './issues.js';
import type { KeyPath, SourceFile } from './source-file.js';

/**
 * Collects issues while compiling. Compilers never throw for bad input: they report with the
 * file and key path, return a best-effort value, and the compiler refuses the snapshot if any
 * error was reported.
 */
export class Reporter {
  readonly issues: ConfigIssue[] = [];

  error(file: SourceFile, path: KeyPath, code: string, message: string, what: 'key' | 'value' = 'value'): void {
    this.add('error', file, path, code, message, what);
  }

  warn(file: SourceFile, path: KeyPath, code: string, message: string, what: 'key' | 'value' = 'key'): void {
    this.add('warning', file, path, code, message, what);
  }

  /** Report at a fixed file/line (e.g. when there is no file yet). */
  raw(issue: ConfigIssue): void {
    this.issues.push(issue);
  }

  /** Runs a value parser; a thrown error becomes an issue at `path`, and the result is undefined. */
  parse<T>(file: SourceFile, path: KeyPath, code: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.error(file, path, code, `${describePath(path)}: ${(e as Error).message}`);
      return undefined;
    }
  }

  get errorCount(): number {
    return this.issues.filter((i) => i.severity === 'error').length;
  }

  private add(severity: ConfigIssue['severity'], file: SourceFile, path: KeyPath, code: string, message: string, what: 'key' | 'value') {
    const p = file.locate(path, what);
    this.issues.push({ file: file.name, line: p.line, col: p.col, code, message, severity });
  }
}

/** `source."ip-1".ehlo_domain` style rendering of a key path for messages. */
export function describePath(path: KeyPath): string {
  if (!path.length) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z0-9_-]+$/.test(p) ? (i ? '.' : '') + p : `${i ? '.' : ''}"${p}"`))
    .join('');
}
