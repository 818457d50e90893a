import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../src/config/issues.js';
import { compileWith, describe, DOCS_FIXTURES } from './harness.js';

/**
 * Every example helper file on KumoMTA's documentation pages (and in its helpers' own usage
 * comments and tests) that KumoMTA itself accepts, copied unchanged into
 * test/fixtures/kumomta-docs/ (each names its source; see the README there), loads with zero
 * errors. Warnings are allowed only where kumo-ts accepts a key it does not act on yet
 * (key.not-implemented) or where the example leans on a block defined elsewhere; each is listed.
 */
interface Case {
  /** fixture directory */
  readonly dir: string;
  /** its files to load, in order (default: all, by name) */
  readonly files?: readonly string[];
  /** other fixtures loaded with it (e.g. the pools a queues example names) */
  readonly with?: readonly string[];
  /** scaffolding written by the test, not from the docs */
  readonly scaffold?: Record<string, string>;
  /** every warning, as `file:line code key` */
  readonly warnings: readonly string[];
}

const SENDING_IPS = 'guide-sending-ips/sources.toml'; // defines pool-1 and pool-2

const CASES: readonly Case[] = [
  { dir: 'faq-always-suspended-queue', warnings: [] },
  { dir: 'faq-custom-metadata', warnings: [] },
  { dir: 'faq-egress-pool-unspecified', warnings: [] },
  { dir: 'faq-high-memory-usage', warnings: [] },
  { dir: 'faq-non-relay-hosts', warnings: [] },
  { dir: 'faq-outbound-tls-failures', warnings: [] },
  { dir: 'faq-rate-limits', warnings: [] },
  { dir: 'faq-receiving-inbound-mail', warnings: [] },
  { dir: 'faq-shared-throttles-in-cluster', warnings: [] },
  {
    dir: 'faq-skip-ipv6-mx-hosts',
    warnings: ['shaping-1.toml:4 key.not-implemented default.ip_lookup_strategy'],
  },
  { dir: 'guide-bounce', warnings: [] },
  { dir: 'guide-dkim', warnings: [] },
  { dir: 'guide-domains', warnings: [] },
  { dir: 'guide-fbl', warnings: [] },
  { dir: 'guide-inbound-auth', with: [SENDING_IPS], warnings: [] },
  { dir: 'guide-loghooks', warnings: ['shaping.toml:13 key.not-implemented "webhook.log_hook".system_shutdown_timeout'] },
  { dir: 'guide-outbound-auth', warnings: [] },
  { dir: 'guide-policy-helpers', warnings: [] },
  {
    dir: 'guide-queue-management',
    with: [SENDING_IPS],
    warnings: [],
  },
  { dir: 'guide-rollup', warnings: [] },
  { dir: 'guide-sending-ips', warnings: [] },
  // [[provider."yahoo".automation]] has no match rules of its own: the bundled shaping.toml's apply
  { dir: 'guide-shaping-automation', warnings: [] },
  { dir: 'guide-shaping-files', warnings: [] },
  { dir: 'guide-shaping-rollups', warnings: [] }, // enable_dane is acted on since issue 12
  { dir: 'guide-webhooks', warnings: [] },
  { dir: 'helper-listener-domains-lua', warnings: [] },
  {
    dir: 'helper-queue-lua',
    files: ['queues-test-1.toml', 'queues-test-2.toml'],
    scaffold: { 'sources.toml': '[source.s1]\n[pool.tpool.s1]\n[pool.foo.s1]\n[pool.bar.s1]\n' },
    warnings: [
      'queues-test-1.toml:7 key.not-implemented queue.default.shrink_policy',
    ],
  },
  {
    dir: 'helper-queue-lua',
    files: ['queues-usage.toml'],
    scaffold: { 'sources.toml': '[source.s1]\n[pool.pool-0.s1]\n[pool.pool-1.s1]\n' },
    warnings: [],
  },
  { dir: 'helper-sources-lua', warnings: [] },
  // the page's provider "Office 365" is defined elsewhere (its match rules are not on the page)
  { dir: 'ref-additional-source-selection-rates', warnings: ['shaping.toml:3 shaping.provider-no-match provider "Office 365" has no match rules in any shaping file, so it matches no domain'] },
  { dir: 'ref-deferred-queue', warnings: [] },
  { dir: 'ref-shaping-load', warnings: [] },
  { dir: 'ref-skip-hosts', warnings: ['shaping.toml:4 key.not-implemented default.ip_lookup_strategy'] },
  // the page's sources "new" and "established" in pool "mypool" are described, not listed
  { dir: 'ref-source-selection-rate', scaffold: { 'sources.toml': '[source.new]\n[source.established]\n[pool.mypool.new]\n[pool.mypool.established]\n' }, warnings: [] },
  { dir: 'ref-suspend-when-proxy-unhealthy', warnings: ['sources-2.toml:6 key.not-implemented source.ip-1.suspend_when_proxy_unhealthy'] },
  { dir: 'ref-suspend-when-unplumbed', warnings: ['sources-2.toml:5 key.not-implemented source.ip-1.suspend_when_unplumbed.trigger'] },
  // the tutorial's queues.toml names pool "default" while its sources.toml defines "Default":
  // KumoMTA's --validate rejects the pair as well, so each file is loaded on its own
  { dir: 'tutorial-configuring-kumomta', files: ['listener_domains.toml', 'sources.toml', 'dkim_data.toml'], warnings: [] },
  {
    dir: 'tutorial-configuring-kumomta',
    files: ['queues.toml'],
    scaffold: { 'sources.toml': '[source.s1]\n[pool.default.s1]\n[pool.pool-1.s1]\n' },
    warnings: [],
  },
];

test('every fixture directory is covered by a case', () => {
  const dirs = readdirSync(DOCS_FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual([...new Set(CASES.map((c) => c.dir))].sort(), dirs);
});

for (const c of CASES) {
  const files = c.files ?? readdirSync(join(DOCS_FIXTURES, c.dir)).filter((f) => f.endsWith('.toml')).sort();
  test(`${c.dir}: ${files.join(', ')} load with zero errors`, async () => {
    const paths = [...(c.with ?? []).map((f) => join(DOCS_FIXTURES, f)), ...files.map((f) => join(DOCS_FIXTURES, c.dir, f))];
    const res = await compileWith(paths, c.scaffold);
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(describe(res.warnings), c.warnings);
    } finally {
      res.cleanup();
    }
  });
}
