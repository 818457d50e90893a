import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { expandParam } from './param-values.js';

/**
 * What automation rules have done and that is still in force: time-limited suspensions,
 * bounces and setting overrides. Kept in memory for O(1) lookups per decision and written to a
 * small JSON file (atomically: temp file + rename) so that they survive a restart.
 */
export type AutomationActionName =
  | 'Suspend'
  | 'SuspendTenant'
  | 'SuspendCampaign'
  | 'Bounce'
  | 'BounceTenant'
  | 'BounceCampaign'
  | 'SetConfig'
  | 'SetDomainConfig';

export interface AutomationScope {
  readonly source?: string;
  readonly site?: string;
  readonly domain?: string;
  readonly tenant?: string;
  readonly campaign?: string;
}

export interface AutomationEntry {
  /** unique per rule × action × scope; a new match extends `until` */
  readonly key: string;
  readonly action: AutomationActionName;
  readonly scope: AutomationScope;
  /** SetConfig / SetDomainConfig: the setting and its raw value */
  readonly name?: string;
  readonly value?: unknown;
  /** epoch ms */
  readonly since: number;
  readonly until: number;
  readonly rule: { readonly id: string; readonly block: string; readonly where?: string; readonly regex: readonly string[] };
  /** the response line that triggered it */
  readonly reason: string;
}

/** What a path looks like to automation lookups. */
export interface AutomationQuery {
  readonly source: string;
  readonly site: string;
  readonly domain: string;
  readonly tenant?: string;
  readonly campaign?: string;
}

const FILE_VERSION = 1;

function indexKeys(e: AutomationEntry): string {
  const s = e.scope;
  switch (e.action) {
    case 'Suspend':
      return `S|${s.source}|${s.site}`;
    case 'Bounce':
      return `B|${s.source}|${s.site}`;
    case 'SuspendTenant':
      return `ST|${s.domain}|${s.tenant ?? ''}`;
    case 'BounceTenant':
      return `BT|${s.domain}|${s.tenant ?? ''}`;
    case 'SuspendCampaign':
      return `SC|${s.domain}|${s.tenant ?? ''}|${s.campaign ?? ''}`;
    case 'BounceCampaign':
      return `BC|${s.domain}|${s.tenant ?? ''}|${s.campaign ?? ''}`;
    case 'SetConfig':
      return s.site !== undefined ? `CS|${s.source}|${s.site}` : `CD|${s.source}|${s.domain}`;
    case 'SetDomainConfig':
      return `DD|${s.domain}`;
  }
}

export class AutomationState {
  private readonly entries = new Map<string, AutomationEntry>();
  private readonly index = new Map<string, Set<string>>();
  /** parsed layer entries of SetConfig / SetDomainConfig entries */
  private readonly parsed = new Map<string, [string, unknown][]>();
  private nextExpiry = Infinity;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** bumped on every change; resolution caches key on it */
  version = 0;

  constructor(readonly path?: string, private readonly log?: Logger) {}

  /** Loads the persisted state (expired entries dropped); a missing or unreadable file is an empty state. */
  static load(path: string | undefined, log?: Logger, now = Date.now(), opts: { readOnly?: boolean } = {}): AutomationState {
    const st = new AutomationState(opts.readOnly ? undefined : path, log);
    if (!path) return st;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return st;
    }
    try {
      const data = JSON.parse(text) as { version: number; entries: AutomationEntry[] };
      for (const e of data.entries ?? []) if (e.until > now) st.insert(e);
    } catch (e) {
      log?.warn('shaping automation: cannot read the state file; starting empty', { path, error: (e as Error).message });
    }
    return st;
  }

  private insert(e: AutomationEntry): boolean {
    if (e.action === 'SetConfig' || e.action === 'SetDomainConfig') {
      try {
        this.parsed.set(e.key, expandParam(e.name!, e.value));
      } catch (err) {
        this.log?.warn('shaping automation: dropping an override with an invalid value', { key: e.key, error: (err as Error).message });
        return false;
      }
    }
    this.entries.set(e.key, e);
    const ik = indexKeys(e);
    let set = this.index.get(ik);
    if (!set) this.index.set(ik, (set = new Set()));
    set.add(e.key);
    if (e.until < this.nextExpiry) this.nextExpiry = e.until;
    this.version++;
    return true;
  }

  /** Adds an effect, or extends the same rule's effect on the same scope. */
  add(e: AutomationEntry): void {
    const old = this.entries.get(e.key);
    if (old) this.remove(old.key);
    if (this.insert(old ? { ...e, since: old.since } : e)) this.scheduleSave();
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.parsed.delete(key);
    const ik = indexKeys(e);
    const set = this.index.get(ik);
    set?.delete(key);
    if (set && !set.size) this.index.delete(ik);
    this.version++;
  }

  /** Drops expired effects; O(1) unless one is due. */
  prune(now = Date.now()): void {
    if (now < this.nextExpiry) return;
    let next = Infinity;
    const gone: AutomationEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.until <= now) gone.push(e);
      else if (e.until < next) next = e.until;
    }
    for (const e of gone) {
      this.remove(e.key);
      this.log?.info('shaping automation: effect expired', { action: e.action, ...e.scope, ...(e.name ? { name: e.name } : {}) });
    }
    this.nextExpiry = next;
    if (gone.length) this.scheduleSave();
  }

  private pick(ik: string, now: number): AutomationEntry | undefined {
    const set = this.index.get(ik);
    if (!set) return undefined;
    let best: AutomationEntry | undefined;
    for (const k of set) {
      const e = this.entries.get(k)!;
      if (e.until > now && (!best || e.until > best.until)) best = e;
    }
    return best;
  }

  /** The longest suspension holding this path (path, tenant or campaign), if any. */
  suspensionFor(q: AutomationQuery, now = Date.now()): AutomationEntry | undefined {
    this.prune(now);
    return this.longest(now, `S|${q.source}|${q.site}`, `ST|${q.domain}|${q.tenant ?? ''}`, `SC|${q.domain}|${q.tenant ?? ''}|${q.campaign ?? ''}`);
  }

  /** An active bounce for this path (path, tenant or campaign), if any. */
  bounceFor(q: AutomationQuery, now = Date.now()): AutomationEntry | undefined {
    this.prune(now);
    return this.longest(now, `B|${q.source}|${q.site}`, `BT|${q.domain}|${q.tenant ?? ''}`, `BC|${q.domain}|${q.tenant ?? ''}|${q.campaign ?? ''}`);
  }

  private longest(now: number, ...keys: string[]): AutomationEntry | undefined {
    let best: AutomationEntry | undefined;
    for (const k of keys) {
      const e = this.pick(k, now);
      if (e && (!best || e.until > best.until)) best = e;
    }
    return best;
  }

  /**
   * Setting overrides for source × site × domain, in the order they apply (later wins):
   * site-scoped SetConfig, domain-scoped SetConfig, SetDomainConfig. Older effects first.
   */
  overridesFor(source: string, site: string, domain: string, now = Date.now()): { entry: AutomationEntry; values: [string, unknown][] }[] {
    this.prune(now);
    const out: { entry: AutomationEntry; values: [string, unknown][] }[] = [];
    for (const ik of [`CS|${source}|${site}`, `CD|${source}|${domain}`, `DD|${domain}`]) {
      const set = this.index.get(ik);
      if (!set) continue;
      const list = [...set].map((k) => this.entries.get(k)!).filter((e) => e.until > now).sort((a, b) => a.since - b.since);
      for (const e of list) out.push({ entry: e, values: this.parsed.get(e.key) ?? [] });
    }
    return out;
  }

  list(now = Date.now()): AutomationEntry[] {
    this.prune(now);
    return [...this.entries.values()].sort((a, b) => a.since - b.since);
  }

  get size(): number {
    return this.entries.size;
  }

  private scheduleSave(): void {
    if (!this.path || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.writeNow());
    }, 20);
    this.saveTimer.unref();
  }

  private writeNow(): void {
    if (!this.path) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: FILE_VERSION, entries: [...this.entries.values()] }, null, 1));
      renameSync(tmp, this.path);
    } catch (e) {
      this.log?.error('shaping automation: cannot save the state file', { path: this.path, error: (e as Error).message });
    }
  }

  /** Writes pending changes now (on shutdown). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.writeNow());
    }
    await this.saving;
  }
}

/**
 * The process's automation state, registered by the shaping gate, so that `resolveShaping`
 * (called by the delivery path with just a snapshot) applies active overrides.
 */
let active: AutomationState | undefined;
export function setActiveAutomation(s: AutomationState | undefined): void {
  active = s;
}
export function getActiveAutomation(): AutomationState | undefined {
  return active;
}
