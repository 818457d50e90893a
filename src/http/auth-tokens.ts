import { createHash, randomBytes } from 'node:crypto';
import type { KeySourceSpec } from '../keys/key-source.js';
import { WatchedKeySource } from '../keys/watched-key-source.js';
import type { Logger } from '../logging/logger.js';

/**
 * Bearer tokens of the HTTP API, kept hashed: one `label:sha256:<64 hex>` per line, the hex
 * being SHA-256 of the token. A token is a random secret of at least 128 bits (see
 * `generateToken`), so a fast unsalted hash is enough, and it lets a request be checked by one
 * lookup instead of a slow hash per stored line.
 */
export interface ParsedTokens {
  /** sha256 hex → label */
  readonly byHash: ReadonlyMap<string, string>;
  readonly problems: readonly string[];
}

const LINE_RE = /^([^:\s]+):sha256:([0-9a-fA-F]{64})$/;

export function parseTokens(text: string, source: string): ParsedTokens {
  const byHash = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE_RE.exec(line);
    if (!m) {
      // never echo the line: it may be a token pasted in plain
      problems.push(`${source}:${i + 1}: expected "label:sha256:<64 hex digits>" (tokens are stored hashed; make one with kumo-ts hash-password --token LABEL)`);
      return;
    }
    byHash.set(m[2]!.toLowerCase(), m[1]!);
  });
  return { byHash, problems };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (32 bytes, base64url) and its line for the tokens file. */
export function generateToken(label: string): { token: string; line: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, line: `${label}:sha256:${hashToken(token)}` };
}

/**
 * The tokens of one listener, reloaded when the file changes (as the AUTH users of
 * src/auth/credential-store.ts: a replacement with a bad line or no token at all is refused as
 * a whole and the tokens loaded before stay).
 */
export class TokenStore extends WatchedKeySource {
  private byHash: ReadonlyMap<string, string> = new Map();

  constructor(
    readonly name: string,
    spec: KeySourceSpec,
    log: Logger,
  ) {
    super(spec, log, `http listener ${name} bearer tokens`);
  }

  get size(): number {
    return this.byHash.size;
  }

  protected apply(text: string, source: string): boolean {
    const { byHash, problems } = parseTokens(text, source);
    for (const p of problems) this.log.error(`${this.what}: ${p}`);
    if (this.loaded && (problems.length || !byHash.size)) {
      this.log.error(`${this.what}: new content REJECTED, the previous tokens stay`, { tokens: this.byHash.size, source: this.spec.describe });
      return false;
    }
    this.byHash = byHash;
    this.log.info(`${this.what} ${this.loaded ? 'reloaded' : 'loaded'}`, { tokens: byHash.size, source: this.spec.describe });
    return true;
  }

  /** The label of the token, or undefined when it is not one of ours. */
  verify(token: string): string | undefined {
    return this.byHash.get(hashToken(token));
  }
}
