/**
 * Domain lookup with exact names, `*.suffix` wildcards (which do not match the bare suffix
 * itself: `*.example.com` matches `a.example.com`, not `example.com`) and a catch-all `*`.
 * Lookups are case-insensitive and cost one hash probe per label.
 */
export class DomainMap<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffix = new Map<string, T>();
  private star: T | undefined;
  private sealed = false;

  constructor(entries: Iterable<[string, T]> = []) {
    for (const [k, v] of entries) this.set(k, v);
    this.sealed = true;
    Object.freeze(this);
  }

  private set(pattern: string, value: T) {
    if (this.sealed) throw new TypeError('DomainMap is immutable');
    const p = pattern.toLowerCase().replace(/\.$/, '');
    if (p === '*') this.star = value;
    else if (p.startsWith('*.')) this.suffix.set(p.slice(2), value);
    else this.exact.set(p, value);
  }

  /** The value for `domain`: exact match, then the longest `*.suffix`, then `*`. */
  get(domain: string): T | undefined {
    const d = domain.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(d);
    if (hit !== undefined) return hit;
    for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
      const s = this.suffix.get(d.slice(i + 1));
      if (s !== undefined) return s;
    }
    return this.star;
  }

  /** Which pattern matched `domain`, for explain output. */
  match(domain: string): string | undefined {
    const d = domain.toLowerCase().replace(/\.$/, '');
    if (this.exact.has(d)) return d;
    for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
      if (this.suffix.has(d.slice(i + 1))) return `*.${d.slice(i + 1)}`;
    }
    return this.star !== undefined ? '*' : undefined;
  }

  get size(): number {
    return this.exact.size + this.suffix.size + (this.star !== undefined ? 1 : 0);
  }
}
