// STUB — to be completed by the delivery work (issue 4): KumoMTA sources.toml format.
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';

export interface EgressConfig {
  readonly sources: ReadonlyMap<string, unknown>;
  readonly pools: ReadonlyMap<string, unknown>;
}

export function compileEgress(_files: SourceFile[], _r: Reporter): EgressConfig {
  return { sources: new Map(), pools: new Map() };
}
