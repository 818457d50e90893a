import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { SCHEMA_DIR } from '../paths.js';
import type { Reporter } from './report.js';
import { describePath } from './report.js';
import type { SourceFile } from './source-file.js';

/** The config file kinds; each has `schemas/<kind>.schema.json`. */
export type ConfigKind = 'kumo' | 'listener_domains' | 'sources' | 'queues' | 'dkim' | 'shaping' | 'bounce_classifier' | 'dns_zone';

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(kind: ConfigKind): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    for (const f of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')), f);
    }
  }
  let v = compiled.get(kind);
  if (!v) {
    v = ajv.getSchema(`${kind}.schema.json`);
    if (!v) throw new Error(`no schema for config kind ${kind}`);
    compiled.set(kind, v);
  }
  return v;
}

const decode = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function toPath(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = decode(raw);
    const part = Array.isArray(cur) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(part);
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

/**
 * Validates a parsed file against its kind's schema and reports each problem at the key or
 * value that caused it. Returns true when the file is valid.
 */
export function validateAgainstSchema(kind: ConfigKind, file: SourceFile, r: Reporter): boolean {
  const v = validator(kind);
  if (v(file.data)) return true;
  for (const e of pickErrors(v.errors ?? [])) {
    const path = toPath(e.instancePath, file.data);
    const where = describePath(path);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        r.error(file, [...path, key], 'schema.unknown-key', `unknown key "${key}" in ${where}`, 'key');
        break;
      }
      case 'required':
        r.error(file, path, 'schema.missing-key', `${where}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`, 'key');
        break;
      case 'type':
        r.error(file, path, 'schema.type', `${where}: expected ${(e.params as { type: string | string[] }).type
          .toString().replace(/,/g, ' or ')}, got ${jsonType(valueAt(file.data, path))}`);
        break;
      case 'enum':
        r.error(file, path, 'schema.enum', `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}`);
        break;
      case 'const': {
        // e.g. `workers = "lots"` against oneOf [integer, const "auto"]: name both choices
        const { allowedValue, otherTypes } = e.params as { allowedValue: unknown; otherTypes?: string[] };
        const or = otherTypes?.length ? ` or ${otherTypes.map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)).join(' or ')}` : '';
        r.error(file, path, 'schema.const', `${where}: must be ${JSON.stringify(allowedValue)}${or}, got ${JSON.stringify(valueAt(file.data, path))}`);
        break;
      }
      default:
        r.error(file, path, `schema.${e.keyword}`, `${where}: ${e.message}`);
    }
  }
  return false;
}

/**
 * anyOf/oneOf failures produce one error per branch plus a summary; keep the most useful:
 * drop the summary when branch errors exist at a deeper path, and de-duplicate.
 */
function pickErrors(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const branches = errors.filter((x) => x !== e && x.instancePath === e.instancePath && x.schemaPath.startsWith(e.schemaPath.replace(/\/(anyOf|oneOf)$/, '')));
      // a value of the wrong type for every branch: report once as a type error
      if (branches.every((b) => b.keyword === 'type')) {
        const types = [...new Set(branches.flatMap((b) => [(b.params as { type: string | string[] }).type].flat()))];
        pushOnce({ ...e, keyword: 'type', params: { type: types } });
      }
      continue;
    }
    if (e.schemaPath.includes('/anyOf/') || e.schemaPath.includes('/oneOf/')) {
      // branch errors: keep the ones that are not plain type mismatches (those are summarized above)
      if (e.keyword === 'type') continue;
      if (e.keyword === 'const') {
        // the other branches' types, for a message naming every choice
        const parent = e.schemaPath.replace(/\/(anyOf|oneOf)\/\d+\/const$/, '/$1/');
        const otherTypes = [...new Set(errors.filter((x) => x.keyword === 'type' && x.instancePath === e.instancePath && x.schemaPath.startsWith(parent)).flatMap((x) => [(x.params as { type: string | string[] }).type].flat()))];
        pushOnce({ ...e, params: { ...e.params, otherTypes } });
        continue;
      }
    }
    pushOnce(e);
  }
  return out;
  function pushOnce(e: ErrorObject) {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  }
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let cur = data;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (Number.isInteger(v)) return 'integer';
  return typeof v === 'object' ? 'table/object' : typeof v;
}
