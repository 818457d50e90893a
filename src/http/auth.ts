import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { CredentialStore } from '../auth/credential-store.js';
import { FailureLimiter } from '../auth/failure-limit.js';
import type { HttpAuthSettings, HttpListenerSettings } from '../config/http-settings.js';
import type { Logger } from '../logging/logger.js';
import { TokenStore } from './auth-tokens.js';
import { metricsRegistry } from './metrics.js';

/** Who a request authenticated as (absent: a trusted peer that sent no credentials). */
export interface AuthIdentity {
  readonly user: string;
  readonly scheme: 'basic' | 'bearer';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the auth hook when the request carried valid credentials */
    kumoAuth?: AuthIdentity;
    /** the Basic user or the token's label, when the request authenticated */
    apiUser?: string;
    /** the name of the HTTP listener that received the request ("default" for [http]) */
    httpListener?: string;
  }
}

/** The authenticated user of a request, for logs and records (undefined: trusted peer). */
export function requestUser(req: FastifyRequest): string | undefined {
  return req.apiUser;
}

/** Routes served to anyone: health checks of load balancers carry no credentials. */
const OPEN_PATHS = new Set(['/api/check-liveness/v1']);
export const AUTH_REALM = 'kumo-ts';

export const httpAuthFailures = new Counter({
  name: 'kumo_ts_http_auth_failures_total',
  help: 'HTTP API requests refused by authentication, by listener and reason (missing: an untrusted peer sent no credentials; invalid: wrong credentials; blocked: too many failures from the address)',
  labelNames: ['listener', 'reason'] as const,
  registers: [metricsRegistry()],
});

export type AuthVerdict =
  | { readonly ok: true; readonly identity?: AuthIdentity }
  | { readonly ok: false; readonly status: 401 | 429; readonly message: string; readonly retryAfterS?: number; readonly scheme?: 'basic' | 'bearer' };

function sameSpec(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Authentication of one HTTP listener: peers in trusted_hosts are served without credentials;
 * any other peer needs valid HTTP Basic credentials (the credentials file of SMTP AUTH's
 * format, src/auth/) or a Bearer token (src/http/auth-tokens.ts). Credentials that are sent
 * are always checked, from trusted peers too (a wrong password is reported, never ignored),
 * unless the listener has no auth configured. Wrong credentials count against the client
 * address (src/auth/failure-limit.ts); past max_failures its requests bearing credentials
 * get 429 until the window passes.
 */
export class ListenerAuth {
  private creds: CredentialStore | undefined;
  private tokens: TokenStore | undefined;
  private spec: HttpAuthSettings | undefined;
  private readonly limiter = new FailureLimiter();

  constructor(
    readonly listener: string,
    private readonly log: Logger,
  ) {}

  /** Loads (or reloads, when their sources changed) the credential stores of `next`. */
  async configure(next: HttpAuthSettings | undefined): Promise<void> {
    const prev = this.spec;
    this.spec = next;
    if (!sameSpec(prev?.credentials, next?.credentials)) {
      const old = this.creds;
      let fresh: CredentialStore | undefined;
      if (next?.credentials) {
        fresh = new CredentialStore(`http:${this.listener}`, next.credentials, this.log);
        await fresh.start();
      }
      this.creds = fresh;
      old?.close();
    }
    if (!sameSpec(prev?.tokens, next?.tokens)) {
      const old = this.tokens;
      let fresh: TokenStore | undefined;
      if (next?.tokens) {
        fresh = new TokenStore(this.listener, next.tokens, this.log);
        await fresh.start();
      }
      this.tokens = fresh;
      old?.close();
    }
  }

  /** The WWW-Authenticate challenges of a 401 (Basic and/or Bearer, as configured; both when none is). */
  challenges(scheme?: 'basic' | 'bearer'): string[] {
    const basic = `Basic realm="${AUTH_REALM}", charset="UTF-8"`;
    const bearer = `Bearer realm="${AUTH_REALM}"${scheme === 'bearer' ? ', error="invalid_token"' : ''}`;
    const out: string[] = [];
    if (this.spec?.credentials) out.push(basic);
    if (this.spec?.tokens) out.push(bearer);
    return out.length ? out : [basic, bearer];
  }

  async check(req: FastifyRequest, settings: HttpListenerSettings): Promise<AuthVerdict> {
    const peer = req.socket.remoteAddress ?? '';
    const trusted = settings.trustedHosts.has(peer);
    const header = req.headers.authorization;
    const path = req.url.split('?')[0]!;
    const a = settings.auth;
    if (OPEN_PATHS.has(path)) return { ok: true };
    if (header === undefined) {
      if (trusted) return { ok: true };
      httpAuthFailures.inc({ listener: this.listener, reason: 'missing' });
      return {
        ok: false, status: 401,
        message: a ? `${peer} is not in trusted_hosts of http listener "${this.listener}": authenticate with HTTP Basic or a Bearer token`
          : `${peer} is not in trusted_hosts of http listener "${this.listener}", and the listener accepts no credentials (configure auth)`,
      };
    }
    if (!a) {
      // nothing to check the credentials against
      if (trusted) return { ok: true };
      httpAuthFailures.inc({ listener: this.listener, reason: 'invalid' });
      return { ok: false, status: 401, message: `http listener "${this.listener}" accepts no credentials (configure auth), and ${peer} is not in its trusted_hosts` };
    }
    if (this.limiter.blocked(peer, a.maxFailures, a.failureWindowMs)) {
      httpAuthFailures.inc({ listener: this.listener, reason: 'blocked' });
      return { ok: false, status: 429, retryAfterS: Math.ceil(a.failureWindowMs / 1000), message: `too many failed authentications from ${peer}; try again later` };
    }
    const sp = header.indexOf(' ');
    const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : header.slice(sp + 1).trim();
    let identity: AuthIdentity | undefined;
    let user = '';
    if (scheme === 'basic') {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      user = colon < 0 ? text : text.slice(0, colon);
      if (colon > 0 && this.creds && (await this.creds.verify(user, text.slice(colon + 1)))) identity = { user, scheme: 'basic' };
    } else if (scheme === 'bearer') {
      user = '(bearer)';
      const label = value && this.tokens ? this.tokens.verify(value) : undefined;
      if (label) identity = { user: label, scheme: 'bearer' };
    } else {
      user = `(${scheme})`;
    }
    if (identity) {
      this.limiter.succeed(peer, user);
      return { ok: true, identity };
    }
    const failures = this.limiter.fail(peer, user, a.failureWindowMs);
    httpAuthFailures.inc({ listener: this.listener, reason: 'invalid' });
    this.log.warn(`http listener ${this.listener}: authentication failed`, {
      peer, scheme, ...(scheme === 'basic' ? { user } : {}), failures, max_failures: a.maxFailures, path,
    });
    const known = scheme === 'basic' || scheme === 'bearer';
    return {
      ok: false, status: 401, scheme: known ? (scheme as 'basic' | 'bearer') : undefined,
      message: known ? `invalid ${scheme === 'basic' ? 'user name or password' : 'bearer token'}` : `unsupported authorization scheme "${scheme}": use Basic or Bearer`,
    };
  }

  close(): void {
    this.creds?.close();
    this.tokens?.close();
    this.creds = undefined;
    this.tokens = undefined;
  }
}

/** Installs the authentication hook (first of the onRequest hooks, before the browser guard). */
export function installAuth(app: FastifyInstance, auth: ListenerAuth, settings: () => HttpListenerSettings): void {
  app.addHook('onRequest', async (req, reply) => {
    req.httpListener = auth.listener;
    const v = await auth.check(req, settings());
    if (v.ok) {
      if (v.identity) {
        req.kumoAuth = v.identity;
        req.apiUser = v.identity.user;
      }
      return;
    }
    if (v.status === 429) {
      return reply.code(429).header('retry-after', String(v.retryAfterS ?? 60)).send({ error: 'too_many_requests', message: v.message });
    }
    return reply.code(401).header('www-authenticate', auth.challenges(v.scheme)).send({ error: 'unauthorized', message: v.message });
  });
}
