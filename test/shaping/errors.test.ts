import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatIssue } from '../../src/config/issues.js';
import { cleanupTrees, compileShapingFiles } from './helpers.js';

after(cleanupTrees);

async function issuesOf(name: string, text: string): Promise<{ lines: string[]; file: string }> {
  const res = await compileShapingFiles({ [name]: text });
  assert.equal(res.ok, false, 'the config must be rejected');
  return { lines: res.ok ? [] : res.issues.filter((i) => i.severity === 'error').map(formatIssue), file: join(res.dir, name) };
}

/** The same bad throttle, in each format, must be reported at the value's exact line:col. */
const badThrottle: Record<string, [string, string]> = {
  'shaping.toml': ['["default"]\nconnection_limit = 10\n\n["example.com"]\nmx_rollup = false\nmax_message_rate = "100/fortnight"\n', ':6:20: '],
  'shaping.json': ['{\n  "default": { "connection_limit": 10 },\n  "example.com": {\n    "mx_rollup": false,\n    "max_message_rate": "100/fortnight"\n  }\n}\n', ':5:25: '],
  'shaping.yaml': ['default:\n  connection_limit: 10\nexample.com:\n  mx_rollup: false\n  max_message_rate: 100/fortnight\n', ':5:21: '],
};

describe('a bad throttle is reported at FILE:LINE:COL', () => {
  for (const [name, [text, where]] of Object.entries(badThrottle)) {
    test(name, async () => {
      const { lines, file } = await issuesOf(name, text);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(lines[0].startsWith(file + where), `expected ${file}${where}…, got ${lines[0]}`);
      assert.match(lines[0], /"example\.com"\.max_message_rate: invalid throttle "100\/fortnight": unknown period "fortnight"/);
    });
  }
});

describe('other shaping errors point at the offending key or value', () => {
  test('unknown key in a domain block (typo)', async () => {
    const { lines, file } = await issuesOf('shaping.toml', '["example.com"]\nmx_rollup = false\nmax_mesage_rate = "10/s"\n');
    assert.deepEqual(lines, [`${file}:3:1: unknown key "max_mesage_rate" in "example.com"`]);
  });

  test('bad values in sources, provider limits, additional maps, durations', async () => {
    const { lines, file } = await issuesOf('shaping.toml', [
      '["default"]', // 1
      'idle_timeout = "soon"', // 2
      'additional_connection_limits = { a = "lots" }', // 3
      '["default".sources."ip-1"]', // 4
      'max_connection_rate = "5 per minute"', // 5
      '[provider."p"]', // 6
      'match = [{MXSuffix = ".p.net"}]', // 7
      'provider_connection_limit = "many"', // 8
      'provider_max_message_rate = "1/yr"', // 9
    ].join('\n') + '\n');
    assert.deepEqual(lines.map((l) => l.slice(file.length)), [
      ':2:16: default.idle_timeout: invalid duration "soon" (expected e.g. "90s", "5m", "2 hours", "3 days")',
      ':3:38: default.additional_connection_limits.a: invalid limit "lots": expected a number, "1,000" or "local:N"',
      ':5:23: default.sources.ip-1.max_connection_rate: invalid throttle "5 per minute": expected [local:]N/[k]period[,max_burst=B] with period s, m, h or d, e.g. "100/min" or "10/5m"',
      ':8:29: provider.p.provider_connection_limit: invalid limit "many": expected a number, "1,000" or "local:N"',
      ':9:29: provider.p.provider_max_message_rate: invalid throttle "1/yr": unknown period "yr"; expected [local:]N/[k]period[,max_burst=B] with period s, m, h or d, e.g. "100/min" or "10/5m"',
    ]);
  });

  test('automation: bad regex, bad SetConfig value, bad threshold, unknown action', async () => {
    const { lines, file } = await issuesOf('shaping.yaml', [
      'default:', // 1
      '  automation:', // 2
      '    - regex: ["ok", "(unclosed"]', // 3
      '      action: { SetConfig: { name: connection_limit, value: "some" } }', // 4
      '      trigger: { Threshold: "3 times" }', // 5
      '      duration: 1h', // 6
    ].join('\n') + '\n');
    const got = lines.map((l) => l.slice(file.length));
    assert.equal(got.length, 3, got.join('\n'));
    assert.match(got[0], /^:3:21: default\.automation\[0\]\.regex\[1\]: invalid regex "\(unclosed"/);
    assert.match(got[1], /^:4:61: .*SetConfig\.value: invalid limit "some"/);
    assert.match(got[2], /^:5:29: .*Threshold: invalid throttle "3 times"/);
  });

  test('automation: an unknown action is a schema error naming the valid ones', async () => {
    const { lines, file } = await issuesOf('shaping.toml', '[["default".automation]]\nregex = "x"\naction = "Explode"\nduration = "1h"\n');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0].slice(file.length), /^:3:10: default\.automation\[0\]\.action: must be one of "Suspend", "SuspendTenant"/);
  });
});
