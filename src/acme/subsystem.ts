import { readFile } from 'node:fs/promises';
import acme from 'acme-client';
import type { AcmeCertSettings, AcmeSettings } from '../config/acme-settings.js';
import type { Snapshot } from '../config/snapshot.js';
import { writeFileDurable } from '../fs/durable-write.js';
import { loadKey } from '../keys/key-source.js';
import type { Logger } from '../logging/logger.js';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { acmeHttpsAgent } from './acme-http.js';
import { parseStoredCert, readStoredCert, writeIssuedCert, writePlaceholder } from './cert-files.js';
import type { StoredCert } from './cert-files.js';
import { ChallengeResponders } from './challenge-responders.js';
import { noteFailure, noteIssued, notePlan, forgetCertMetrics, acmeCertExpiry } from './metrics.js';
import { AcmeOrderError } from './errors.js';
import { explainOrderError, orderCertificate, useHttpsAgent } from './order.js';
import { planRenewal, retryDelay } from './renewal.js';
import type { RenewalPlan } from './renewal.js';
import { AcmeSharedStore, SharedStoreError } from './shared-store.js';

/** An order that takes longer is given up (and retried); acme-client cannot be cancelled, its late result is dropped. */
const ORDER_TIMEOUT_MS = 5 * 60_000;
/** The Redis order lock outlives an order's deadline, so a crashed node's lock frees itself. */
const LOCK_TTL_MS = ORDER_TIMEOUT_MS + 60_000;
/** While another node holds the lock: look for its result this often. */
const SHARED_POLL_MS = 2_000;

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

const sameNames = (a: readonly string[], b: readonly string[]) => [...a].sort().join(',') === [...b].sort().join(',');

interface CertState {
  timer?: NodeJS.Timeout;
  failures: number;
  /** the names the state was made for (a change re-orders at once) */
  names: string;
  plan?: RenewalPlan;
  /** "waiting for another node" was logged for this wait */
  waitingLogged?: boolean;
}

/**
 * 'acme': obtains and renews the `[acme.cert.*]` certificates (RFC 8555, acme-client). Starts
 * before the listeners: a certificate not yet issued gets a self-signed placeholder so that its
 * listener can bind; issued and renewed certificates are written atomically to the file the
 * listener watches, so they are served by the existing live reload without dropping sessions.
 * Orders run one at a time; a failure is retried with exponential backoff and the certificate
 * in place keeps serving. With `[redis]`, one node orders at a time and the others install its
 * result (src/acme/shared-store.ts).
 */
export class AcmeSubsystem implements Subsystem {
  readonly name = 'acme';
  private ctx!: RuntimeContext;
  private log!: Logger;
  private responders!: ChallengeResponders;
  private readonly certs = new Map<string, CertState>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** null: no agent set yet */
  private caPem: string | undefined | null = null;
  private shared: AcmeSharedStore | undefined;

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
    const redisUrl = s ? next.main.redis?.url : undefined;
    if (this.shared?.url !== redisUrl) {
      this.shared?.close();
      this.shared = redisUrl ? new AcmeSharedStore(redisUrl, this.log) : undefined;
      this.responders.shared = this.shared;
      if (redisUrl) this.log.info('acme: orders are coordinated with other nodes through Redis', { redis: redisUrl });
    }
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
      if (st) clearTimeout(st.timer);
      this.certs.set(cert.name, { failures: 0, names });
      const stored = await readStoredCert(cert.file.path);
      if (!stored) {
        await writePlaceholder(cert.file.path, cert.names[0]!);
        this.log.info(`acme: certificate "${cert.name}" not issued yet: serving a self-signed placeholder until it is`, { names: cert.names });
      } else acmeCertExpiry.set({ cert: cert.name }, Math.floor(stored.notAfter / 1000));
      // the first look (plan, shared store) runs in the queue: start does not wait for the CA
      this.wake(cert.name, 0);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.certs.values()) clearTimeout(st.timer);
    this.shared?.close();
    await this.responders?.close();
  }

  private async useCa(s: AcmeSettings): Promise<void> {
    const pem = s.ca ? (await loadKey(s.ca)).toString('utf8') : undefined;
    if (pem === this.caPem) return;
    this.caPem = pem;
    useHttpsAgent(acmeHttpsAgent(pem));
  }

  /** Runs `step(name)` in the queue at `at` (timers cap at 2^31-1 ms, 24.8 days: re-armed). */
  private wake(name: string, at: number): void {
    const st = this.certs.get(name);
    if (!st || this.stopped) return;
    clearTimeout(st.timer);
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    st.timer = setTimeout(() => {
      if (at > Date.now()) return this.wake(name, at);
      this.queue = this.queue.then(() => this.step(name)).catch((e: Error) => this.log.error(`acme: ${e.message}`));
    }, wait);
    st.timer.unref();
  }

  /** Sleeps until the plan says the certificate is due, or until the plan is to be checked again. */
  private async replan(name: string, cert: AcmeCertSettings, s: AcmeSettings, stored: StoredCert | undefined): Promise<boolean> {
    const st = this.certs.get(name)!;
    const prev = st.plan;
    const plan = await planRenewal(stored, cert.names, s.renewBefore, s.directory, prev);
    st.plan = plan;
    notePlan(name, plan.at);
    if (plan.source === 'ari' && plan.window && (prev?.window?.start !== plan.window.start || prev?.window?.end !== plan.window.end))
      this.log.info(`acme: renewal window for "${name}" from the CA (ARI)`, {
        start: new Date(plan.window.start).toISOString(), end: new Date(plan.window.end).toISOString(),
        renew_at: new Date(plan.at).toISOString(), explanation: plan.window.explanationUrl,
      });
    if (plan.at <= Date.now()) return true;
    this.wake(name, Math.min(plan.at, plan.recheckAt ?? Infinity));
    return false;
  }

  /** One look at `name`: not due → sleep; due → the shared result, or the lock and an order. */
  private async step(name: string): Promise<void> {
    const s = this.ctx.store.current.main.acme;
    const cert = s?.certs.get(name);
    const st = this.certs.get(name);
    if (!s || !cert || !st || this.stopped) return;
    const stored = await readStoredCert(cert.file.path);
    // while retrying a failure the plan said "due" already: go straight to the order
    if (st.failures === 0 && !(await this.replan(name, cert, s, stored))) return;
    const shared = this.shared;
    if (!shared) return this.order(name, cert, s);
    let release: (() => Promise<void>) | undefined;
    try {
      if (await this.adopt(name, cert, s, stored, shared)) return;
      release = await shared.tryLock(name, LOCK_TTL_MS);
      if (!release) {
        if (!st.waitingLogged) this.log.info(`acme: another node is ordering certificate "${name}": waiting for its result`);
        st.waitingLogged = true;
        return this.wake(name, Date.now() + SHARED_POLL_MS);
      }
      st.waitingLogged = false;
      // it may have finished between our look and the lock
      if (await this.adopt(name, cert, s, stored, shared)) return;
    } catch (e) {
      if (!(e instanceof SharedStoreError)) throw e;
      this.log.warn(`acme: ordering certificate "${name}" without coordination: ${e.message}`);
    }
    try {
      await this.order(name, cert, s);
    } finally {
      await release?.();
    }
  }

  /** Installs what another node stored when it is for these names and not yet due itself. */
  private async adopt(name: string, cert: AcmeCertSettings, s: AcmeSettings, local: StoredCert | undefined, shared: AcmeSharedStore): Promise<boolean> {
    const got = await shared.get(name);
    if (!got || got.directory !== s.directory || !sameNames(got.names, cert.names)) return false;
    const theirs = parseStoredCert(got.pem);
    if (!theirs || theirs.placeholder || theirs.fingerprint256 === local?.fingerprint256 || theirs.notAfter <= (local?.placeholder ? 0 : (local?.notAfter ?? 0))) return false;
    const plan = await planRenewal(theirs, cert.names, s.renewBefore, s.directory, undefined);
    if (plan.at <= Date.now()) return false;
    await writeFileDurable(cert.file.path, got.pem);
    const st = this.certs.get(name)!;
    st.failures = 0;
    st.waitingLogged = false;
    noteIssued(name, theirs.notAfter, true);
    this.log.info(`acme: certificate "${name}" installed from the shared store (ordered by ${got.by})`, {
      names: cert.names, not_after: new Date(theirs.notAfter).toISOString(), sha256: theirs.fingerprint256,
    });
    await this.replan(name, cert, s, theirs);
    return true;
  }

  /** One order for `name` with the current settings; reschedules itself either way. */
  private async order(name: string, cert: AcmeCertSettings, s: AcmeSettings): Promise<void> {
    const st = this.certs.get(name)!;
    const t0 = Date.now();
    try {
      this.log.info(`acme: ordering certificate "${name}"`, { names: cert.names, directory: s.directory, challenge: cert.challenge });
      const accountKey = await this.accountKey(s);
      const { keyPem, chainPem } = await withTimeout(orderCertificate(s, cert, accountKey, this.responders, this.log), ORDER_TIMEOUT_MS, `ordering "${name}"`);
      await writeIssuedCert(cert.file.path, keyPem, chainPem);
      const stored = await readStoredCert(cert.file.path);
      st.failures = 0;
      if (stored) noteIssued(name, stored.notAfter);
      this.log.info(`acme: certificate "${name}" issued`, {
        names: cert.names, not_after: stored && new Date(stored.notAfter).toISOString(), issuer: stored?.issuer, sha256: stored?.fingerprint256, ms: Date.now() - t0,
      });
      if (this.shared) {
        const pem = `${keyPem.trim()}\n${chainPem.trim()}\n`;
        await this.shared
          .put(name, { pem, directory: s.directory, names: cert.names, by: `${this.ctx.store.current.main.hostname}[${process.pid}]` })
          .catch((e: Error) => this.log.warn(`acme: could not store certificate "${name}" for the other nodes: ${e.message}`));
      }
      await this.replan(name, cert, s, stored);
    } catch (err) {
      const e = explainOrderError(err, s.directory);
      st.failures++;
      noteFailure(name, st.failures);
      const delay = retryDelay(st.failures, s.retryIntervalMs, s.maxRetryIntervalMs);
      const stored = await readStoredCert(cert.file.path);
      const fields = { names: cert.names, failures: st.failures, retry_in_s: Math.round(delay / 1000), error: e.message };
      this.log.warn(`acme: ordering certificate "${name}" failed; the certificate in place keeps serving`, fields);
      const left = stored && !stored.placeholder ? stored.notAfter - Date.now() : undefined;
      if (left !== undefined && left < s.expiryWarningMs)
        this.log.warn(`acme: certificate "${name}" ${left > 0 ? 'expires' : 'EXPIRED'} ${new Date(stored!.notAfter).toISOString()} and its renewal keeps failing`, {
          ...fields, expires_in_s: Math.round(left / 1000), expiry_warning_s: Math.round(s.expiryWarningMs / 1000),
        });
      notePlan(name, Date.now() + delay);
      this.wake(name, Date.now() + delay);
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
