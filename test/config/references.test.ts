import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

/**
 * Semantic checks beyond the schema, in each format: a bad throttle and dangling cross-file
 * references (pool → source, queue → pool), each at the exact FILE:LINE:COL.
 */
const MAIN = '[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n';
type Fmt = 'toml' | 'json' | 'yaml';
const sources: Record<Fmt, string> = {
  toml: '[source."ip-1"]\nsource_address = "127.0.0.1"\n\n[pool."main"."ip-1"]\nweight = 2\n\n[pool."main"."ip-9"]\n',
  json: '{\n  "source": { "ip-1": { "source_address": "127.0.0.1" } },\n  "pool": {\n    "main": {\n      "ip-1": { "weight": 2 },\n      "ip-9": {}\n    }\n  }\n}\n',
  yaml: 'source:\n  ip-1:\n    source_address: 127.0.0.1\npool:\n  main:\n    ip-1:\n      weight: 2\n    ip-9: {}\n',
};
const sourcesAt: Record<Fmt, string> = { toml: '7:14', json: '6:7', yaml: '8:5' };
const queues: Record<Fmt, string> = {
  toml: '[queue.default]\negress_pool = "main"\n\n[queue."example.com"]\negress_pool = "nope"\nmax_message_rate = "100/fortnight"\n',
  json: '{\n  "queue": {\n    "default": { "egress_pool": "main" },\n    "example.com": {\n      "egress_pool": "nope",\n      "max_message_rate": "100/fortnight"\n    }\n  }\n}\n',
  yaml: 'queue:\n  default:\n    egress_pool: main\n  example.com:\n    egress_pool: nope\n    max_message_rate: 100/fortnight\n',
};
const queuesAt: Record<Fmt, [string, string]> = { toml: ['5:15', '6:20'], json: ['5:22', '6:27'], yaml: ['5:18', '6:23'] };

for (const fmt of ['toml', 'json', 'yaml'] as Fmt[]) {
  test(`${fmt}: bad throttle, pool → unknown source, queue → unknown pool`, async () => {
    const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', [`sources.${fmt}`]: sources[fmt], [`queues.${fmt}`]: queues[fmt] });
    after(() => t.cleanup());
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (res.ok) return;
    const got = res.issues.map((i) => `${i.file.slice(t.dir.length + 1)}:${i.line}:${i.col}:${i.code}`).sort();
    const want = [
      `queues.${fmt}:${queuesAt[fmt][0]}:ref.unknown-pool`,
      `queues.${fmt}:${queuesAt[fmt][1]}:value.throttle`,
      `sources.${fmt}:${sourcesAt[fmt]}:ref.unknown-source`,
    ].sort();
    assert.deepEqual(got, want, res.issues.map(formatIssue).join('\n'));
    const throttle = res.issues.find((i) => i.code === 'value.throttle')!;
    assert.match(throttle.message, /unknown period "fortnight"/);
  });
}
