import { createHmac, randomBytes } from 'node:crypto';
import type { KeySourceSpec } from '../keys/key-source.js';
import { WatchedKeySource } from '../keys/watched-key-source.js';
import type { Logger } from '../logging/logger.js';
import { parseCredentials } from './credentials.js';
import { verifyPassword } from './password-hash.js';
import { credentialRejections } from './metrics.js';

const CACHE_TTL_MS = 10 * 60_000;
const CACHE_MAX = 10_000;
// verified against when the user is unknown, so that the answer takes as long as for a known one
const DUMMY_HASH = '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * The AUTH users of a listener, loaded from a key source (usually a file, which is watched and
 * reloaded when it changes). Successful verifications are remembered for a few minutes under
 * an HMAC with a per-process key, so a client that logs in on every connection does not cost a
 * scrypt/bcrypt run each time; the memory is cleared whenever the file changes. A reload whose
 * content has any refused line, or no user at all, is rejected as a whole: the users loaded
 * before stay (the first load takes the valid lines, there is nothing older to keep).
 */
export class CredentialStore extends WatchedKeySource {
  private users: ReadonlyMap<string, string> = new Map();
  private readonly cache = new Map<string, number>();
  private readonly cacheKey = randomBytes(32);

  constructor(
    readonly name: string,
    spec: KeySourceSpec,
    log: Logger,
  ) {
    // with no users loaded every AUTH fails
    super(spec, log, `listener ${name} AUTH credentials`);
  }

  get userCount(): number {
    return this.users.size;
  }

  protected apply(text: string, source: string): boolean {
    const { users, problems, warnings } = parseCredentials(text, source);
    for (const p of problems) this.log.error(`${this.what}: ${p}`);
    if (this.loaded && (problems.length || !users.size)) {
      // a garbled or half-written replacement must not lock every user out (as certificates do)
      if (!problems.length) this.log.error(`${this.what}: ${source}: no "username:hash" line`);
      this.log.error(`${this.what}: new content REJECTED, the previous users stay`, {
        users: this.users.size, problems: problems.length, source: this.spec.describe,
      });
      credentialRejections.inc({ listener: this.name });
      return false;
    }
    for (const w of warnings) this.log.warn(`${this.what}: ${w}`);
    this.users = users;
    this.cache.clear();
    this.log.info(`${this.what} ${this.loaded ? 'reloaded' : 'loaded'}`, { users: users.size, source: this.spec.describe });
    return true;
  }

  /** True when `password` is the user's. Never throws. */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    const k = createHmac('sha256', this.cacheKey).update(user).update('\0').update(password).digest('base64');
    const exp = this.cache.get(k);
    if (hash && exp !== undefined && exp > Date.now()) return true;
    let ok = false;
    try {
      ok = await verifyPassword(password, hash ?? DUMMY_HASH);
    } catch (e) {
      this.log.error(`listener ${this.name} AUTH: the hash of "${user}" cannot be used: ${(e as Error).message}`);
    }
    if (!hash || this.users.get(user) !== hash) return false;
    if (ok) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, Date.now() + CACHE_TTL_MS);
    }
    return ok;
  }
}
