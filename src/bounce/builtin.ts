import { BUILTIN_BOUNCE_RULES } from '../paths.js';
import { Reporter } from '../config/report.js';
import { loadSourceFile } from '../config/source-file.js';
import type { BounceClassifier } from './classifier.js';
import { compileBounceClassifier } from './compile.js';

let builtin: BounceClassifier | undefined;

/**
 * The shipped rules alone, for code that runs without a config snapshot (tools, a record
 * writer built in a test). The server classifies with the snapshot's classifier instead.
 */
export function builtinClassifier(): BounceClassifier {
  if (!builtin) {
    const loaded = loadSourceFile(BUILTIN_BOUNCE_RULES);
    if (!loaded.ok) throw new Error(`${BUILTIN_BOUNCE_RULES}: ${loaded.issue.message}`);
    const r = new Reporter();
    builtin = compileBounceClassifier([loaded.file], r);
    if (r.errorCount) throw new Error(`${BUILTIN_BOUNCE_RULES}: ${r.issues.map((i) => i.message).join('; ')}`);
  }
  return builtin;
}
