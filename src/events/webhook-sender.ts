import { createHmac } from 'node:crypto';
import type { Pool } from 'undici';
import { undici } from '../net/undici.js';
import { loadKey } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { LogHookSettings } from './hook-config.js';
import { webhookBody } from './payload.js';
import type { HookEvent } from './payload.js';
import type { HookSender, SendOutcome } from './sender.js';

/** Secrets are re-read this often (a rotated file or Vault secret is picked up without a reload). */
const SECRET_TTL_MS = 10_000;

/** HMAC-SHA256 of the exact body bytes, as the signature header carries it. */
export function webhookSignature(secret: Buffer | string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A webhook outcome from the HTTP status: 2xx done, 408/429/5xx retry, other 4xx (and 3xx) refused for good. */
export function classifyStatus(status: number): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'done' };
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', reason: `HTTP ${status}` };
  return { kind: 'fail', reason: `HTTP ${status}` };
}

/**
 * POSTs batches over one keep-alive undici Pool per hook (at most `connection_limit`
 * connections), with connect, header and body timeouts of `timeout`, optional Basic or Bearer
 * authentication and an HMAC-SHA256 signature header over the body.
 */
export class WebhookSender implements HookSender {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly secrets = new Map<KeySourceSpec, { at: number; value: Buffer }>();

  constructor(hook: LogHookSettings) {
    const url = new URL(hook.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new (undici().Pool)(url.origin, {
      connections: hook.connectionLimit,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: hook.timeoutMs,
      bodyTimeout: hook.timeoutMs,
      connect: { timeout: hook.timeoutMs },
    });
  }

  async send(events: readonly HookEvent[], hook: LogHookSettings): Promise<SendOutcome> {
    let body: Buffer;
    const headers: Record<string, string> = { ...hook.headers, 'content-type': hook.contentType };
    try {
      body = Buffer.from(webhookBody(hook, events));
      if (hook.basicAuth) headers.authorization = `Basic ${Buffer.from(`${hook.basicAuth.user}:${(await this.secret(hook.basicAuth.password)).toString('utf8')}`).toString('base64')}`;
      else if (hook.bearerToken) headers.authorization = `Bearer ${(await this.secret(hook.bearerToken)).toString('utf8')}`;
      if (hook.hmac) headers[hook.hmac.header.toLowerCase()] = webhookSignature(await this.secret(hook.hmac.secret), body);
    } catch (e) {
      // a template or a key source that fails now may work after a fix: keep the events
      return { kind: 'retry', reason: (e as Error).message };
    }
    try {
      const res = await this.pool.request({
        path: this.path, method: 'POST', headers, body,
        signal: AbortSignal.timeout(hook.timeoutMs),
      });
      await res.body.dump().catch(() => undefined);
      return classifyStatus(res.statusCode);
    } catch (e) {
      const err = e as Error & { code?: string };
      return { kind: 'retry', reason: `${err.code ?? err.name}: ${err.message}` };
    }
  }

  async close(deadline: number): Promise<void> {
    const wait = Math.max(0, deadline - Date.now());
    const closed = this.pool.close().catch(() => undefined);
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), wait).unref());
    if ((await Promise.race([closed, timer])) === 'late') await this.pool.destroy().catch(() => undefined);
  }

  private async secret(spec: KeySourceSpec): Promise<Buffer> {
    const c = this.secrets.get(spec);
    if (c && Date.now() - c.at < SECRET_TTL_MS) return c.value;
    const raw = await loadKey(spec);
    // a secret file's trailing newline is not part of the secret
    const value = Buffer.from(raw.toString('utf8').replace(/[\r\n]+$/, ''));
    if (this.secrets.size > 16) this.secrets.clear(); // specs of past epochs
    this.secrets.set(spec, { at: Date.now(), value });
    return value;
  }
}
