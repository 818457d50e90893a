import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT, SCHEMA_DIR } from '../../src/paths.js';

test('TS types in src/config/generated are generated from the current schemas', () => {
  const out = mkdtempSync(join(tmpdir(), 'kumo-types-'));
  try {
    execFileSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'gen-types.mjs'), out]);
    const committed = join(PACKAGE_ROOT, 'src', 'config', 'generated');
    const fresh = readdirSync(out).sort();
    assert.deepEqual(readdirSync(committed).sort(), fresh);
    for (const f of fresh) {
      assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(out, f), 'utf8'), `${f} is stale: run npm run gen:types`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('every schema has $id, title and a description for every property', () => {
  for (const f of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8'));
    assert.ok(schema.$id, `${f}: $id`);
    assert.ok(schema.title, `${f}: title`);
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (!v.description) missing.push(`${path}.${k}`);
        }
      }
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(schema, f);
    assert.deepEqual(missing, [], `${f}: properties without a description`);
  }
});
