// bench/shaping: shaping resolution time per decision with 10,000 domain blocks (cold = first
// decision for a source × site × domain, warm = every later one, served from the per-epoch
// cache), plus the compile time of that file and the longest event-loop stall while compiling.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig } from '../src/config/compile.js';
import { StaticResolver } from '../src/dns/static-resolver.js';
import type { StaticZone } from '../src/dns/static-resolver.js';
import { resolveMxSite } from '../src/dns/mx-site.js';
import { explainShaping } from '../src/shaping/explain.js';
import { resolveShaping } from '../src/shaping/resolve.js';
import type { ShapingQuery } from '../src/shaping/types.js';

const DOMAINS = 10_000;
const SOURCES = 20;
const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-shaping-'));

// 10,000 domain blocks: 3/4 roll up to their own MX site, 1/4 are exact (mx_rollup = false);
// every 10th has a per-source block; 200 extra domains are hosted by Google (provider match).
const lines: string[] = ['["default"]', 'connection_limit = 10', 'max_message_rate = "100/s"', 'max_connection_rate = "100/min"', ''];
const zone: StaticZone = {};
for (let i = 0; i < DOMAINS; i++) {
  const d = `d${i}.example`;
  zone[d] = { mx: [`10 mx1.d${i}.mail.example`, `20 mx2.d${i}.mail.example`] };
  lines.push(`["${d}"]`, `mx_rollup = ${i % 4 === 0 ? 'false' : 'true'}`, `connection_limit = ${(i % 50) + 1}`, `max_message_rate = "${(i % 90) + 10}/min"`, '');
  if (i % 10 === 0) lines.push(`["${d}".sources."ip-${i % SOURCES}"]`, 'max_deliveries_per_connection = 5', '');
}
for (let i = 0; i < 200; i++) zone[`g${i}.example`] = { mx: ['5 aspmx.l.google.com', '10 alt1.aspmx.l.google.com'] };
writeFileSync(join(dir, 'shaping.toml'), lines.join('\n'));
// the built-in file (providers for the big mailbox providers) is layered first
writeFileSync(join(dir, 'kumo.toml'), '[server]\nsmtp = false\n[http]\nenabled = false\n[files]\nshaping = ["builtin", "shaping.toml"]\n');
const resolver = new StaticResolver(zone);

let maxStall = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  maxStall = Math.max(maxStall, now - last);
  last = now;
}, 1);
async function compileOnce(): Promise<{ ms: number; stall: number; res: Awaited<ReturnType<typeof compileConfig>> }> {
  await new Promise((r) => setTimeout(r, 20));
  maxStall = 0;
  last = performance.now();
  const t = performance.now();
  const res = await compileConfig({ root: dir, resolver });
  const ms = performance.now() - t;
  await new Promise((r) => setTimeout(r, 5));
  return { ms, stall: maxStall, res };
}
// the first compile of a process also compiles the JSON schemas (once, before serving)
const first = await compileOnce();
const again = await compileOnce();
clearInterval(ticker);
const res = again.res;
const compileMs = again.ms;
maxStall = again.stall;
if (!res.ok) {
  console.error(res.issues.slice(0, 10));
  process.exit(1);
}
console.log(`first compile in a fresh process (includes JSON schema compilation): ${first.ms.toFixed(0)} ms, longest stall ${first.stall.toFixed(1)} ms`);
const snap = res.snapshot;
console.log(`compile: ${DOMAINS} domain blocks + ${snap.shaping.providers.length} providers in ${compileMs.toFixed(0)} ms ` +
  `(${snap.shaping.bySite.size} sites, ${snap.shaping.byDomain.size} exact domains); longest event-loop stall ${maxStall.toFixed(1)} ms`);

// the queries the delivery path would make: MX resolved once per domain, many sources
const domains = [...Array.from({ length: DOMAINS }, (_, i) => `d${i}.example`), ...Array.from({ length: 200 }, (_, i) => `g${i}.example`)];
const base: Omit<ShapingQuery, 'source'>[] = [];
for (const d of domains) {
  const mx = await resolveMxSite(resolver, d);
  base.push({ domain: d, site: mx.site, mxHosts: mx.mxHosts });
}
const queries: ShapingQuery[] = [];
for (let s = 0; s < 5; s++) for (const b of base) queries.push({ ...b, source: `ip-${s}` });

function time(label: string, n: number, fn: () => void): number {
  const t = performance.now();
  fn();
  const perUs = ((performance.now() - t) * 1000) / n;
  console.log(`${label}: ${perUs.toFixed(2)} µs per decision (${n} decisions, ${Math.round(1e6 / perUs).toLocaleString('en')} /s)`);
  return perUs;
}

let check = 0;
const cold = time('resolve, cold (cache miss)', queries.length, () => {
  for (const q of queries) check += resolveShaping(snap, q).connection_limit;
});
let warm = 0;
for (let round = 0; round < 3; round++) {
  warm = time(`resolve, warm (cached) round ${round + 1}`, queries.length, () => {
    for (const q of queries) check += resolveShaping(snap, { ...q }).connection_limit;
  });
}
const g = resolveShaping(snap, { ...base[DOMAINS], source: 'ip-0' });
if (g.provider !== 'google') throw new Error('provider match expected');
const ex = time('explain (with file:line of every value)', 2000, () => {
  for (let i = 0; i < 2000; i++) explainShaping(snap, queries[i]);
});
console.log(`RESULT shaping: ${DOMAINS} domain blocks, compile ${compileMs.toFixed(0)} ms (worst stall ${maxStall.toFixed(1)} ms); ` +
  `per decision: cold ${cold.toFixed(2)} µs, warm ${warm.toFixed(2)} µs, explain ${ex.toFixed(0)} µs; ${cpus().length} cores, node ${process.version} (check ${check > 0})`);
rmSync(dir, { recursive: true, force: true });
