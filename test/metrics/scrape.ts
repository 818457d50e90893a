/** One sample of a Prometheus text scrape. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the sample lines of a Prometheus text exposition (comments skipped). */
export function parseScrape(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The samples of metric `name` whose labels include `labels`. */
export function pick(samples: Sample[], name: string, labels: Record<string, string | RegExp> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))));
}

/** The value of the one sample of `name` with `labels`; undefined when absent. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string | RegExp> = {}): number | undefined {
  const p = pick(samples, name, labels);
  return p.length ? p.reduce((a, s) => a + s.value, 0) : undefined;
}
