import { readFile } from 'node:fs/promises';
import { writeFileDurable } from '../fs/durable-write.js';
import type { StsMode, StsPolicy } from './mta-sts-policy.js';

/** A fetched policy as kept: by domain, with the TXT id it was fetched for. */
export interface CachedStsPolicy {
  readonly domain: string;
  readonly id: string;
  readonly policy: StsPolicy;
  readonly fetchedAt: number;
  /** fetchedAt + max_age */
  readonly expiresAt: number;
}

interface CacheFile {
  readonly version: 1;
  readonly policies: Record<string, CachedStsPolicy>;
}

const MODES: readonly StsMode[] = ['enforce', 'testing', 'none'];

function valid(p: unknown): p is CachedStsPolicy {
  const c = p as CachedStsPolicy;
  return !!c && typeof c.domain === 'string' && typeof c.id === 'string' && typeof c.expiresAt === 'number' && typeof c.fetchedAt === 'number' &&
    !!c.policy && MODES.includes(c.policy.mode) && Array.isArray(c.policy.mx) && Array.isArray(c.policy.lines) && typeof c.policy.maxAge === 'number';
}

/**
 * The MTA-STS policy cache, persisted in one JSON file (RFC 8461 relies on trust on first
 * use: a policy seen once must outlive a restart, or an attacker who blocks the policy host
 * after a restart could strip it). Loaded on first use; every change rewrites the file
 * atomically, one write at a time. A damaged file is reported and replaced, never fatal.
 */
export class StsPolicyCache {
  private map: Map<string, CachedStsPolicy> | undefined;
  private loading: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly onError: (what: string, e: unknown) => void = () => undefined,
  ) {}

  private async load(): Promise<Map<string, CachedStsPolicy>> {
    if (this.map) return this.map;
    this.loading ??= (async () => {
      const map = new Map<string, CachedStsPolicy>();
      try {
        const data = JSON.parse(await readFile(this.file, 'utf8')) as CacheFile;
        for (const [d, p] of Object.entries(data.policies ?? {})) if (valid(p)) map.set(d, p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`MTA-STS cache ${this.file} unreadable, starting empty`, e);
      }
      this.map = map;
    })();
    await this.loading;
    return this.map!;
  }

  async get(domain: string): Promise<CachedStsPolicy | undefined> {
    return (await this.load()).get(domain);
  }

  async set(p: CachedStsPolicy): Promise<void> {
    const map = await this.load();
    map.set(p.domain, p);
    await this.save();
  }

  async delete(domain: string): Promise<void> {
    const map = await this.load();
    if (map.delete(domain)) await this.save();
  }

  /** Resolves once the file holds every change made so far. */
  private save(): Promise<void> {
    const now = Date.now();
    this.writing = this.writing.then(async () => {
      const policies: Record<string, CachedStsPolicy> = {};
      for (const [d, p] of this.map!) if (p.expiresAt > now) policies[d] = p;
      try {
        await writeFileDurable(this.file, JSON.stringify({ version: 1, policies } satisfies CacheFile, null, 1) + '\n', 0o644);
      } catch (e) {
        this.onError(`MTA-STS cache ${this.file} could not be written`, e);
      }
    });
    return this.writing;
  }
}
