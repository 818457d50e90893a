import { hashKind } from './password-hash.js';

/** A parsed credentials file: username → stored hash, plus the lines that were refused. */
export interface Credentials {
  readonly users: ReadonlyMap<string, string>;
  readonly problems: readonly string[];
  /** harmless oddities (a user listed twice) */
  readonly warnings: readonly string[];
}

/**
 * Parses a credentials file: one `username:hash` per line, `#` starts a comment line, blank
 * lines are ignored. A line whose hash is not bcrypt or scrypt (e.g. a plaintext password) is
 * refused and reported (without echoing the secret); that user cannot log in.
 */
export function parseCredentials(text: string, source: string): Credentials {
  const users = new Map<string, string>();
  const problems: string[] = [];
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${source}:${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`${at}: expected "username:hash"`);
      return;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (/[\s\x00-\x1f]/.test(user)) {
      problems.push(`${at}: the username contains white space or control characters`);
      return;
    }
    if (!hashKind(hash)) {
      problems.push(`${at}: the password of "${user}" is not a bcrypt or scrypt hash (plaintext passwords are refused; make one with kumo-ts hash-password)`);
      return;
    }
    if (users.has(user)) warnings.push(`${at}: "${user}" is listed again; the later line wins`);
    users.set(user, hash);
  });
  return { users, problems, warnings };
}
