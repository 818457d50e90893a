import type { SecureContext } from 'node:tls';
import { DomainMap } from '../config/domain-map.js';
import { loadKey } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { Logger } from '../logging/logger.js';
import { FileWatch } from './file-watch.js';
import { buildTlsIdentity } from './identity.js';
import type { TlsIdentity } from './identity.js';

/** One certificate to serve: where its chain and key come from. */
export interface IdentitySpec {
  readonly certificate: KeySourceSpec;
  /** undefined: the key is in the certificate PEM */
  readonly privateKey?: KeySourceSpec;
}

export interface CertStoreSettings {
  readonly default: IdentitySpec;
  /** server name (lower case, or "*.suffix") → certificate */
  readonly sni: ReadonlyMap<string, IdentitySpec>;
  readonly expiryWarningMs: number;
}

/** For metrics: one served certificate. */
export interface CertificateExpiry {
  readonly store: string;
  /** "default" or the SNI name */
  readonly name: string;
  readonly subject: string;
  readonly fingerprint256: string;
  /** epoch ms */
  readonly notAfter: number;
  readonly source: string;
}

const live = new Set<CertificateStore>();

/** notAfter of every certificate served by any live store (for the `/metrics` exporter). */
export function certificateExpiries(): CertificateExpiry[] {
  return [...live].flatMap((s) => s.expiries());
}

const RETRY_MS = 400;
const NON_FILE_RELOAD_MS = 5 * 60_000;
const EXPIRY_CHECK_MS = 6 * 3_600_000;

function specKey(s: IdentitySpec): string {
  return `${s.certificate.describe}|${s.privateKey?.describe ?? ''}|${s.certificate.kind === 'inline' ? s.certificate.data : ''}|${s.privateKey?.kind === 'inline' ? s.privateKey.data : ''}`;
}

function filesOf(s: IdentitySpec): string[] {
  return [s.certificate, s.privateKey].flatMap((k) => (k?.kind === 'file' ? [k.path] : []));
}

/**
 * One certificate being served, kept current: the files behind it are watched, and a change
 * is loaded, validated (parses, key matches) and swapped in for new handshakes. A broken
 * replacement is logged as an error and the previous certificate keeps serving. Open TLS
 * sessions are never touched: they keep the context they were established with.
 */
class Slot {
  current: TlsIdentity | undefined;
  private watch: FileWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private retried = false;
  private lastError = '';
  private warnedExpiry = '';
  private closed = false;

  constructor(
    readonly name: string,
    readonly spec: IdentitySpec,
    private readonly what: string,
    private readonly log: Logger,
    private readonly expiryWarningMs: () => number,
  ) {}

  /** First load; throws if the certificate cannot be served. Then starts watching. */
  async start(): Promise<void> {
    this.current = await this.load();
    this.noteLoaded(this.current, true);
    const files = filesOf(this.spec);
    if (files.length) this.watch = new FileWatch(files, () => this.reload());
    if (files.length < (this.spec.privateKey ? 2 : 1)) {
      this.timer = setInterval(() => this.reload(), NON_FILE_RELOAD_MS);
      this.timer.unref();
    }
  }

  /** Loads the sources again; `fromRetry` is the delayed second attempt after a failure. */
  reload(fromRetry = false): void {
    if (this.closed) return;
    if (!fromRetry) {
      this.retried = false;
      clearTimeout(this.retry);
      this.retry = undefined;
    }
    /* c8 ignore start -- a file event while a load is in flight: a race of watcher events, not reliably provoked */
    if (this.loading) {
      this.again = true;
      return;
    }
    /* c8 ignore stop */
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const next = await this.load();
          if (this.closed) return;
          const prev = this.current;
          this.current = next;
          this.lastError = '';
          if (prev?.fingerprint256 !== next.fingerprint256) this.noteLoaded(next, false, prev);
        } catch (e) {
          this.failed(e as Error);
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.loading = undefined));
  }

  checkExpiry(): void {
    const c = this.current;
    if (!c) return;
    const left = c.notAfter.getTime() - Date.now();
    if (left > this.expiryWarningMs()) return;
    const key = `${c.fingerprint256}:${new Date().toISOString().slice(0, 10)}`;
    if (key === this.warnedExpiry) return;
    this.warnedExpiry = key;
    const days = Math.floor(left / 86_400_000);
    this.log.warn(left <= 0 ? `${this.what}: the certificate has EXPIRED` : `${this.what}: the certificate expires in ${days} days`, {
      subject: c.subject, not_after: c.notAfter.toISOString(), sha256: c.fingerprint256, source: this.spec.certificate.describe,
    });
  }

  close(): void {
    this.closed = true;
    this.watch?.close();
    clearInterval(this.timer);
    clearTimeout(this.retry);
  }

  private async load(): Promise<TlsIdentity> {
    const [cert, key] = await Promise.all([loadKey(this.spec.certificate), this.spec.privateKey ? loadKey(this.spec.privateKey) : undefined]);
    return buildTlsIdentity(cert, key, this.what);
  }

  private noteLoaded(c: TlsIdentity, first: boolean, prev?: TlsIdentity): void {
    this.log.info(first ? `${this.what}: serving certificate` : `${this.what}: renewed certificate is live for new connections`, {
      subject: c.subject, not_after: c.notAfter.toISOString(), sha256: c.fingerprint256,
      ...(prev ? { previous_sha256: prev.fingerprint256 } : {}),
    });
    this.checkExpiry();
  }

  /**
   * A replacement that does not load. Certificate and key are often written one after the
   * other, so a failure is retried once shortly before it is reported (once per distinct error).
   */
  private failed(e: Error): void {
    if (!this.retried) {
      this.retried = true;
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.reload(true);
      }, RETRY_MS);
      this.retry.unref();
      return;
    }
    if (e.message === this.lastError) return;
    this.lastError = e.message;
    this.log.error(`${this.what}: new certificate REJECTED, the previous one keeps serving: ${e.message}`, {
      code: (e as { code?: string }).code,
      serving_sha256: this.current?.fingerprint256,
      serving_not_after: this.current?.notAfter.toISOString(),
    });
  }
}

/**
 * The certificates of one listener: a default one and optional per-server-name ones (SNI),
 * each kept current from its files. `contextFor(name)` picks the context for a handshake.
 */
export class CertificateStore {
  private slots = new Map<string, Slot>(); // by specKey|name
  private byName: DomainMap<Slot> = new DomainMap();
  private defaultSlot: Slot | undefined;
  private settings: CertStoreSettings;
  private readonly expiryTimer: NodeJS.Timeout;

  constructor(
    readonly name: string,
    settings: CertStoreSettings,
    private readonly log: Logger,
  ) {
    this.settings = settings;
    this.expiryTimer = setInterval(() => this.allSlots().forEach((s) => s.checkExpiry()), EXPIRY_CHECK_MS);
    this.expiryTimer.unref();
  }

  /** Loads every certificate; throws (TlsIdentityError / KeySourceError) if the default one cannot be served. */
  async start(): Promise<void> {
    await this.apply(this.settings, true);
    live.add(this);
  }

  /**
   * New settings from a new snapshot: certificates whose sources did not change keep their
   * slot (and watch); new ones are loaded before they replace anything. If the new default
   * certificate cannot be loaded the store keeps the old one and throws.
   */
  async reconfigure(settings: CertStoreSettings): Promise<void> {
    await this.apply(settings, false);
  }

  /** The context for a handshake: SNI name (exact, then "*.suffix"), else the default. */
  contextFor(servername?: string | null): SecureContext {
    const slot = (servername && this.byName.get(servername)) || this.defaultSlot;
    const c = slot?.current ?? this.defaultSlot?.current;
    if (!c) throw new Error(`${this.name}: no certificate loaded`);
    return c.context;
  }

  /** For `tls.TLSSocket` / smtp-server: `SNICallback`. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    try {
      cb(null, this.contextFor(servername));
    /* c8 ignore next 3 -- guard: contextFor throws only before start() succeeded, and no listener takes handshakes before that */
    } catch (e) {
      cb(e as Error);
    }
  };

  /** The certificate a handshake for this name would get (tests, admin). */
  identityFor(servername?: string): TlsIdentity | undefined {
    return ((servername && this.byName.get(servername)) || this.defaultSlot)?.current;
  }

  expiries(): CertificateExpiry[] {
    const out: CertificateExpiry[] = [];
    for (const s of this.allSlots()) {
      if (!s.current) continue;
      out.push({
        store: this.name, name: s.name, subject: s.current.subject, fingerprint256: s.current.fingerprint256,
        notAfter: s.current.notAfter.getTime(), source: s.spec.certificate.describe,
      });
    }
    return out;
  }

  close(): void {
    live.delete(this);
    clearInterval(this.expiryTimer);
    for (const s of this.slots.values()) s.close();
    this.slots.clear();
  }

  private allSlots(): Slot[] {
    return [...this.slots.values()];
  }

  private async apply(settings: CertStoreSettings, first: boolean): Promise<void> {
    const want = new Map<string, { name: string; spec: IdentitySpec }>();
    want.set(`${specKey(settings.default)}|default`, { name: 'default', spec: settings.default });
    for (const [n, spec] of settings.sni) want.set(`${specKey(spec)}|${n}`, { name: n, spec });
    const fresh = new Map<string, Slot>();
    for (const [k, w] of want) {
      const old = this.slots.get(k);
      if (old) {
        fresh.set(k, old);
        continue;
      }
      const what = `listener ${this.name} TLS ${w.name === 'default' ? 'certificate' : `certificate for SNI "${w.name}"`}`;
      const slot = new Slot(w.name, w.spec, what, this.log, () => this.settings.expiryWarningMs);
      try {
        await slot.start();
      } catch (e) {
        slot.close();
        if (w.name === 'default' || first) {
          for (const [k2, s] of fresh) if (!this.slots.has(k2)) s.close();
          throw e;
        }
        // a broken SNI certificate: that name falls back to the default certificate
        this.log.error(`${what}: cannot be loaded; that name gets the default certificate: ${(e as Error).message}`);
        continue;
      }
      fresh.set(k, slot);
    }
    for (const [k, s] of this.slots) if (!fresh.has(k)) s.close();
    this.slots = fresh;
    this.settings = settings;
    this.defaultSlot = [...fresh.values()].find((s) => s.name === 'default');
    this.byName = new DomainMap([...fresh.values()].filter((s) => s.name !== 'default').map((s) => [s.name, s] as [string, Slot]));
  }
}
