import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/**
 * Coordination of several kumo-ts nodes through the `[redis]` they already share: one node
 * orders a certificate at a time (a lock with expiry, SET NX PX, released on finish), and the
 * issued chain + key are kept in Redis so the other nodes install that result instead of
 * ordering again. HTTP-01 answers are shared
 * the same way, so the CA's validation may reach any node. Redis rather than the acme directory: nodes do not share a disk, they do
 * share Redis (throttles, limits), and a SET is atomic for every reader.
 */

const PREFIX = 'kumo-ts:acme:';
// deletes the lock only if it still holds our token (it may have expired and been taken)
const RELEASE_LUA = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class SharedStoreError extends Error {
  readonly code = 'ACME_SHARED_STORE';
}

/** What one node stored for the others. */
export interface SharedCert {
  /** key + chain, as in the certificate file */
  readonly pem: string;
  readonly directory: string;
  readonly names: readonly string[];
  /** the node that ordered it (its hostname and pid) */
  readonly by: string;
}

export class AcmeSharedStore {
  private readonly redis: Redis;

  constructor(readonly url: string, log: Logger) {
    this.redis = new Redis(url, {
      // commands wait for the first connection (an order at start must see the lock), bounded by commandTimeout
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 3000,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(500 * times, 5000),
    });
    let down = false;
    this.redis.on('error', (e: Error) => {
      if (down) return;
      down = true;
      log.warn('acme: Redis unavailable: orders are not coordinated with other nodes until it is back', { redis: url, error: e.message });
    });
    this.redis.on('ready', () => {
      if (down) log.info('acme: Redis reachable again', { redis: url });
      down = false;
    });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new SharedStoreError(`Redis ${what}: ${(e as Error).message}`);
    }
  }

  async get(name: string): Promise<SharedCert | undefined> {
    const v = await this.call('GET', () => this.redis.get(`${PREFIX}cert:${name}`));
    if (!v) return undefined;
    try {
      const o = JSON.parse(v) as SharedCert;
      return typeof o.pem === 'string' && Array.isArray(o.names) ? o : undefined;
    } catch {
      return undefined;
    }
  }

  async put(name: string, cert: SharedCert): Promise<void> {
    await this.call('SET', () => this.redis.set(`${PREFIX}cert:${name}`, JSON.stringify(cert)));
  }

  /** An HTTP-01 answer, for whichever node the CA's validation request reaches (behind a load balancer). */
  async putToken(token: string, keyAuthorization: string, ttlMs: number): Promise<void> {
    await this.call('SET', () => this.redis.set(`${PREFIX}http01:${token}`, keyAuthorization, 'PX', ttlMs));
  }

  async getToken(token: string): Promise<string | undefined> {
    return (await this.call('GET', () => this.redis.get(`${PREFIX}http01:${token}`))) ?? undefined;
  }

  async deleteToken(token: string): Promise<void> {
    await this.call('DEL', () => this.redis.del(`${PREFIX}http01:${token}`));
  }

  /** The order lock for `name`, held for at most `ttlMs`; undefined when another node holds it. */
  async tryLock(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${PREFIX}lock:${name}`;
    const token = randomBytes(12).toString('hex');
    const ok = await this.call('SET NX', () => this.redis.set(key, token, 'PX', ttlMs, 'NX'));
    if (ok !== 'OK') return undefined;
    return async () => {
      await this.call('unlock', () => this.redis.eval(RELEASE_LUA, 1, key, token)).catch(() => undefined); // expires anyway
    };
  }

  close(): void {
    this.redis.disconnect();
  }
}
