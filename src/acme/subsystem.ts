import { readFile } from 'node:fs/promises';
import acme from 'acme-client';
import type { AcmeCertSettings, AcmeSettings } from '../config/acme-settings.js';
import type { Snapshot } from '../config/snapshot.js';
import { writeFileDurable } from '../fs/durable-write.js';
import { loadKey } from '../keys/key-source.js';
import type { Logger } from '../logging/logger.js';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { readStoredCert, writeIssuedCert, writePlaceholder } from './cert-files.js';
import { ChallengeResponders } from './challenge-responders.js';
import { acmeCertExpiry, acmeLastFailure, acmeNextRenewal, acmeOrders, forgetCertMetrics } from './metrics.js';
import { acmeHttpsAgent, useHttpsAgent } from './acme-http.js';
import { AcmeOrderError, explainOrderError, orderCertificate } from './order.js';
import { renewalTime, retryDelay } from './renewal.js';

/** An order that takes longer is given up (and retried); acme-client cannot be cancelled, its late result is dropped. */
const ORDER_TIMEOUT_MS = 5 * 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new AcmeOrderError(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
      t.unref();
    }),
  ]);
}

interface CertState {
  timer?: NodeJS.Timeout;
  failures: number;
  /** the names the timer was set for (a change re-orders at once) */
  names: string;
}

/**
 * 'acme': obtains and renews the `[acme.cert.*]` certificates (RFC 8555, acme-client). Starts
 * before the listeners: a certificate not yet issued gets a self-signed placeholder so that its
 * listener can bind; issued and renewed certificates are written atomically to the file the
 * listener watches, so they are served by the existing live reload without dropping sessions.
 * Orders run one at a time; a failure is retried with exponential backoff and the certificate
 * in place keeps serving.
 */
export class AcmeSubsystem implements Subsystem {
  readonly name = 'acme';
  private ctx!: RuntimeContext;
  private log!: Logger;
  private responders!: ChallengeResponders;
  private readonly certs = new Map<string, CertState>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private caPem: string | undefined;

  async start(ctx: RuntimeContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log.child({ subsystem: 'acme' });
    this.responders = new ChallengeResponders(this.log);
    await this.apply(ctx.store.current);
  }

  async apply(next: Snapshot): Promise<void> {
    const s = next.main.acme;
    // a challenge port that cannot be bound is reported, and orders then fail and retry
    await this.responders.reconcile(s?.http01Listen, s?.tlsAlpn01Listen).catch((e: Error) => this.log.error(`acme: cannot listen for challenges: ${e.message}`));
    if (s) await this.useCa(s);
    for (const [name, st] of this.certs)
      if (!s?.certs.has(name)) {
        clearTimeout(st.timer);
        this.certs.delete(name);
        forgetCertMetrics(name);
      }
    for (const cert of s?.certs.values() ?? []) {
      const names = cert.names.join(',');
      const st = this.certs.get(cert.name);
      if (st && st.names === names) continue;
      const fresh: CertState = { failures: 0, names };
      if (st) clearTimeout(st.timer);
      this.certs.set(cert.name, fresh);
      const stored = await readStoredCert(cert.file.path);
      if (!stored) {
        await writePlaceholder(cert.file.path, cert.names[0]!);
        this.log.info(`acme: certificate "${cert.name}" not issued yet: serving a self-signed placeholder until it is`, { names: cert.names });
      } else acmeCertExpiry.set({ cert: cert.name }, Math.floor(stored.notAfter / 1000));
      this.schedule(cert.name, renewalTime(stored, cert.names, s!.renewBefore));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.certs.values()) clearTimeout(st.timer);
    await this.responders?.close();
  }

  private async useCa(s: AcmeSettings): Promise<void> {
    const pem = s.ca ? (await loadKey(s.ca)).toString('utf8') : undefined;
    if (pem === this.caPem) return;
    this.caPem = pem;
    useHttpsAgent(acmeHttpsAgent(pem));
  }

  private schedule(name: string, at: number): void {
    const st = this.certs.get(name);
    if (!st || this.stopped) return;
    clearTimeout(st.timer);
    acmeNextRenewal.set({ cert: name }, Math.floor(at / 1000));
    // timers cap at 2^31-1 ms (24.8 days): wake up and re-arm for later dates
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    st.timer = setTimeout(() => {
      if (at > Date.now()) return this.schedule(name, at);
      this.queue = this.queue.then(() => this.renew(name));
    }, wait);
    st.timer.unref();
  }

  /** One order for `name` with the current settings; reschedules itself either way. */
  private async renew(name: string): Promise<void> {
    const s = this.ctx.store.current.main.acme;
    const cert = s?.certs.get(name);
    const st = this.certs.get(name);
    if (!s || !cert || !st || this.stopped) return;
    const t0 = Date.now();
    try {
      this.log.info(`acme: ordering certificate "${name}"`, { names: cert.names, directory: s.directory, challenge: cert.challenge });
      const accountKey = await this.accountKey(s);
      const { keyPem, chainPem } = await withTimeout(orderCertificate(s, cert, accountKey, this.responders, this.log), ORDER_TIMEOUT_MS, `ordering "${name}"`);
      await writeIssuedCert(cert.file.path, keyPem, chainPem);
      const stored = await readStoredCert(cert.file.path);
      st.failures = 0;
      acmeOrders.inc({ cert: name, outcome: 'issued' });
      if (stored) acmeCertExpiry.set({ cert: name }, Math.floor(stored.notAfter / 1000));
      this.log.info(`acme: certificate "${name}" issued`, {
        names: cert.names, not_after: stored && new Date(stored.notAfter).toISOString(), issuer: stored?.issuer, ms: Date.now() - t0,
      });
      this.schedule(name, renewalTime(stored, cert.names, s.renewBefore));
    } catch (err) {
      const e = explainOrderError(err, s.directory);
      st.failures++;
      acmeOrders.inc({ cert: name, outcome: 'failed' });
      acmeLastFailure.set({ cert: name }, Math.floor(Date.now() / 1000));
      const delay = retryDelay(st.failures, s.retryIntervalMs, s.maxRetryIntervalMs);
      const stored = await readStoredCert(cert.file.path);
      const fields = { names: cert.names, failures: st.failures, retry_in_s: Math.round(delay / 1000), error: (e as Error).message };
      if (stored && !stored.placeholder && stored.notAfter - Date.now() < s.expiryWarningMs)
        this.log.warn(`acme: certificate "${name}" expires ${new Date(stored.notAfter).toISOString()} and its renewal keeps failing`, fields);
      else this.log.error(`acme: ordering certificate "${name}" failed; the certificate in place keeps serving`, fields);
      this.schedule(name, Date.now() + delay);
    }
  }

  /** The account key: configured, or kumo-ts's own file, created (0600) on first use. */
  private async accountKey(s: AcmeSettings): Promise<Buffer> {
    if (!s.accountKeyManaged) return loadKey(s.accountKey);
    const path = (s.accountKey as { path: string }).path;
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    await writeFileDurable(path, key, 0o600);
    this.log.info('acme: created an account key', { path });
    return key;
  }
}

export type { AcmeCertSettings };
