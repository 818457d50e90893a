import { describePath } from './report.js';
import type { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';

/**
 * Issue code of a key that is accepted for KumoMTA compatibility but that kumo-ts does not act
 * on yet. Always a warning: a KumoMTA file loads unchanged, and the operator is told which of
 * its keys change nothing here (never a silent ignore).
 */
export const NOT_IMPLEMENTED = 'key.not-implemented';

/** The phrase schema descriptions use for such keys (test/kumomta keeps both in step). */
export const NOT_ACTED_PHRASE = 'not acted on yet';

export function warnNotActed(r: Reporter, file: SourceFile, path: KeyPath, why?: string): void {
  r.warn(file, path, NOT_IMPLEMENTED, `${describePath(path)}: accepted for KumoMTA compatibility, ${NOT_ACTED_PHRASE}${why ? ` (${why})` : ''}`, 'key');
}
