// Generates src/config/generated/<kind>.ts from schemas/<kind>.schema.json, so the TypeScript
// types can never drift from the schemas (test/config/schema-types.test.ts checks they are current).
import { compile } from 'json-schema-to-typescript';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'src/config/generated');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.schema.json')).sort()) {
  const kind = f.replace('.schema.json', '');
  if (kind === 'common') continue;
  const schema = stripRefAnnotations(JSON.parse(readFileSync(join(root, 'schemas', f), 'utf8')));
  const ts = await compile(schema, kind, {
    cwd: join(root, 'schemas'),
    bannerComment: `/* Generated from schemas/${f} by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */`,
    additionalProperties: false,
    strictIndexSignatures: false,
    style: { singleQuote: true, printWidth: 120 },
    format: false,
  });
  writeFileSync(join(out, `${kind}.ts`), ts);
}

/**
 * A `$ref` with a sibling `description` makes the generator mint a new numbered copy of the
 * referenced type for every use (KeySource1..9, Duration1..33). The descriptions stay in the
 * schemas for editors; the TS types only need the shape, so drop them next to `$ref`.
 */
function stripRefAnnotations(node) {
  if (Array.isArray(node)) return node.map(stripRefAnnotations);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if ('$ref' in node && (k === 'description' || k === 'title')) continue;
    out[k] = stripRefAnnotations(v);
  }
  return out;
}
