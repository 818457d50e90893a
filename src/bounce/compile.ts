import type { BounceClassifierFile } from '../config/generated/bounce_classifier.js';
import type { Reporter } from '../config/report.js';
import type { SourceFile } from '../config/source-file.js';
import { BounceClassifier, compileRule } from './classifier.js';
import type { BounceRule } from './classifier.js';

/**
 * All rules files of the epoch, in order, into one classifier. A rule that does not compile is
 * an error at its position (the file is schema-valid, so the shape is known).
 */
export function compileBounceClassifier(files: readonly SourceFile[], r: Reporter): BounceClassifier {
  const rules: BounceRule[] = [];
  for (const f of files) {
    const data = f.data as BounceClassifierFile;
    for (const [category, patterns] of Object.entries(data.rules ?? {})) {
      patterns.forEach((p, i) => {
        const pattern = r.parse(f, ['rules', category, i], 'value.bounce-rule', () => compileRule(p));
        if (pattern) rules.push({ category, pattern, origin: `${f.name}: rules.${category}[${i}]` });
      });
    }
  }
  return new BounceClassifier(rules);
}
