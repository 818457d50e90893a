// Generates src/config/generated/<kind>.ts from schemas/<kind>.schema.json, so the TypeScript
// types can never drift from the schemas (test/config/schema-types.test.ts checks they are current).
import { compileFromFile } from 'json-schema-to-typescript';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'src/config/generated');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.schema.json')).sort()) {
  const kind = f.replace('.schema.json', '');
  if (kind === 'common') continue;
  const ts = await compileFromFile(join(root, 'schemas', f), {
    cwd: join(root, 'schemas'),
    bannerComment: `/* Generated from schemas/${f} by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */`,
    additionalProperties: false,
    strictIndexSignatures: false,
    style: { singleQuote: true, printWidth: 120 },
    format: false,
  });
  writeFileSync(join(out, `${kind}.ts`), ts);
}
