// STUB — to be completed by the shaping work (issues 2 and 5): KumoMTA shaping.toml format.
import type { EgressConfig } from '../config/egress.js';
import type { Reporter } from '../config/report.js';
import type { SourceFile } from '../config/source-file.js';
import type { Resolver } from '../dns/resolver.js';

export interface ShapingConfig {
  readonly files: readonly string[];
}

export interface ShapingEnv {
  readonly resolver: Resolver;
  readonly egress: EgressConfig;
}

export async function compileShaping(files: SourceFile[], _env: ShapingEnv, _r: Reporter): Promise<ShapingConfig> {
  return { files: files.map((f) => f.path) };
}
