// STUB — to be completed by the DKIM work (issue 6): KumoMTA dkim.toml format.
import type { Reporter } from '../config/report.js';
import type { SourceFile } from '../config/source-file.js';

export interface DkimConfig {
  readonly enabled: boolean;
}

export function compileDkim(files: SourceFile[], _root: string, _r: Reporter): DkimConfig {
  return { enabled: files.length > 0 };
}
