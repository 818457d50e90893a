import type { Reporter } from '../config/report.js';
import { KeySourceError } from '../keys/key-source.js';
import type { DkimKeyCheck } from './config.js';
import { DkimKeyParseError, keySourceFor, loadPrivateKey } from './keys.js';
import { checkKeyType, DkimKeyTypeError } from './signer.js';

/**
 * Loads and parses every key `compileDkim` could name, as KumoMTA's `--validate` signs a test
 * message per domain block: a key that cannot be read, does not parse or does not fit the
 * block's algorithm is an error at the place that names it, with the key source.
 */
export async function testLoadDkimKeys(checks: readonly DkimKeyCheck[], r: Reporter): Promise<void> {
  const seen = new Set<string>();
  const todo = checks.filter((c) => {
    const spec = keySourceFor(c.key, c.domain, c.selector);
    const id = `${c.file.path}\0${c.path.join('\0')}\0${spec.describe}\0${c.algorithm}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  await Promise.all(
    todo.map(async (c) => {
      const spec = keySourceFor(c.key, c.domain, c.selector);
      try {
        checkKeyType({ algorithm: c.algorithm, privateKey: await loadPrivateKey(spec) });
      } catch (e) {
        const code = e instanceof KeySourceError || e instanceof DkimKeyParseError || e instanceof DkimKeyTypeError ? e.code : 'dkim.key';
        const why = e instanceof DkimKeyTypeError ? `${spec.describe}: ${e.message}` : (e as Error).message;
        r.error(c.file, c.path, code, `${c.where}: the DKIM key cannot be used: ${why}`);
      }
    }),
  );
}
