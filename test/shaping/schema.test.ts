import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../src/config/issues.js';
import { BUILTIN_SHAPING, SCHEMA_DIR } from '../../src/paths.js';
import { BLOCK_KEYS, PARAMS, PROVIDER_KEYS } from '../../src/shaping/params.js';
import { cleanupTrees, compileShapingFiles } from './helpers.js';

after(cleanupTrees);

const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'shaping.schema.json'), 'utf8'));

test('every block of the schema lists exactly the parameters the compiler knows', () => {
  const params = Object.keys(PARAMS).sort();
  const defs = schema.definitions as Record<string, { properties: Record<string, unknown> }>;
  const extra: Record<string, Set<string>> = {
    default_block: new Set(['replace_base', 'automation', 'sources']),
    domain_block: BLOCK_KEYS,
    source_block: new Set(),
    provider_block: PROVIDER_KEYS,
    provider_source_block: new Set(['provider_source_selection_rate']),
  };
  for (const [def, own] of Object.entries(extra)) {
    const keys = Object.keys(defs[def].properties);
    assert.deepEqual(keys.filter((k) => !own.has(k)).sort(), params, `${def}: parameters`);
    assert.deepEqual(keys.filter((k) => own.has(k)).sort(), [...own].sort(), `${def}: block keys`);
  }
  // automation may set any parameter except secrets
  const names: string[] = defs.config_value.properties.name ? (defs.config_value.properties.name as { enum: string[] }).enum : [];
  assert.deepEqual(names.sort(), params.filter((p) => !PARAMS[p].noAutomation));
});

test('the built-in shaping.toml loads without DNS, without a single warning', async () => {
  const res = await compileShapingFiles({ [BUILTIN_SHAPING]: '' }, {});
  assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
  if (!res.ok) return;
  assert.deepEqual(res.warnings.map(formatIssue), []);
  const s = res.snapshot.shaping;
  assert.equal(s.stats.domainBlocks, 0, 'no rollup blocks: they would need DNS at load');
  assert.ok(s.providers.length >= 8);
  for (const name of ['google', 'yahoo', 'outlook', 'office365', 'apple', 'comcast', 'united-internet', 'orange', 'mimecast']) {
    assert.ok(s.providers.some((p) => p.name === name), name);
  }
});

test('the compiled shaping is deeply frozen: every write throws', async () => {
  const res = await compileShapingFiles({ 'shaping.toml': '["default"]\nconnection_limit = 3\n[provider."p"]\nmatch = [{MXSuffix = ".p.net"}]\n' });
  assert.ok(res.ok);
  if (!res.ok) return;
  const s = res.snapshot.shaping;
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.default) && Object.isFrozen(s.providers[0].matches));
  assert.throws(() => (s.default.params as Map<string, unknown>).set('x', 1), /immutable/);
  assert.throws(() => (s.byDomain as Map<string, unknown>).clear(), /immutable/);
  assert.throws(() => {
    (s.default.params.get('connection_limit')!.value as { limit: number }).limit = 99;
  }, TypeError);
});
