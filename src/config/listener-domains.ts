// STUB — to be completed by the inbound work (issue 3): KumoMTA listener_domains format.
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';

export interface ListenerDomains {
  readonly files: readonly string[];
}

export function compileListenerDomains(files: SourceFile[], _r: Reporter): ListenerDomains {
  return { files: files.map((f) => f.path) };
}
