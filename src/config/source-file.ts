import { readFileSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseTOML } from 'toml-eslint-parser';
import type { AST } from 'toml-eslint-parser';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { parseTree, findNodeAtLocation, parse as parseJsonc } from 'jsonc-parser';
import type { ParseError as JsoncError } from 'jsonc-parser';
import type { ConfigIssue } from './issues.js';

export type ConfigFormat = 'toml' | 'json' | 'yaml';
export type KeyPath = readonly (string | number)[];
export interface Position { line: number; col: number }

/**
 * One parsed config file. Values come from the fast parser; source positions are computed
 * lazily (only when an issue must be reported) so a large valid file costs a single parse.
 */
export interface SourceFile {
  /** Path as shown to users (relative to the working directory when possible). */
  readonly name: string;
  readonly path: string;
  readonly format: ConfigFormat;
  readonly text: string;
  readonly data: unknown;
  /** Position of the key (`key`) or of the value (`value`) at `path`, or of its nearest ancestor. */
  locate(path: KeyPath, what?: 'key' | 'value'): Position;
}

export function formatOf(path: string): ConfigFormat | undefined {
  const e = extname(path).toLowerCase();
  if (e === '.toml') return 'toml';
  if (e === '.json') return 'json';
  if (e === '.yaml' || e === '.yml') return 'yaml';
  return undefined;
}

export function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export type LoadResult = { ok: true; file: SourceFile } | { ok: false; issue: ConfigIssue };

export function loadSourceFile(path: string, text?: string): LoadResult {
  const name = displayName(path);
  const format = formatOf(path);
  const issue = (line: number, col: number, code: string, message: string): LoadResult => ({
    ok: false,
    issue: { file: name, line, col, code, message, severity: 'error' },
  });
  if (!format) return issue(1, 1, 'file.format', `unsupported config file extension (use .toml, .json, .yaml or .yml)`);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      return issue(1, 1, 'file.read', `cannot read file: ${(e as Error).message}`);
    }
  }
  const src = text;
  try {
    if (format === 'toml') return { ok: true, file: tomlFile(name, path, src) };
    if (format === 'json') return { ok: true, file: jsonFile(name, path, src) };
    return { ok: true, file: yamlFile(name, path, src) };
  } catch (e) {
    const p = (e as { position?: Position }).position ?? { line: 1, col: 1 };
    return issue(p.line, p.col, 'syntax', `${format.toUpperCase()} syntax error: ${(e as Error).message}`);
  }
}

class SyntaxAt extends Error {
  constructor(message: string, readonly position: Position) {
    super(message);
  }
}

function offsetToPos(text: string, offset: number): Position {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

// ---------- TOML ----------
function tomlFile(name: string, path: string, text: string): SourceFile {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new SyntaxAt(first, { line: e.line, col: e.column });
    }
    /* c8 ignore start -- guard: smol-toml reports parse failures as TomlError; anything else is a bug, rethrown */
    throw e;
  }
  /* c8 ignore stop */
  let index: Map<string, { key: Position; value: Position }> | undefined;
  return {
    name, path, format: 'toml', text, data,
    locate(p, what = 'key') {
      index ??= tomlIndex(text);
      return lookup(index, p, what);
    },
  };
}

function tomlIndex(text: string): Map<string, { key: Position; value: Position }> {
  const index = new Map<string, { key: Position; value: Position }>();
  const pos = (n: { loc: { start: { line: number; column: number } } }): Position => ({
    line: n.loc.start.line,
    col: n.loc.start.column + 1,
  });
  const keyParts = (k: AST.TOMLKey) => k.keys.map((x) => (x.type === 'TOMLBare' ? x.name : x.value));
  const visitValue = (base: (string | number)[], v: AST.TOMLContentNode) => {
    if (v.type === 'TOMLInlineTable') v.body.forEach((kv) => visitKv(base, kv));
    else if (v.type === 'TOMLArray')
      v.elements.forEach((el, i) => {
        const p = [...base, i];
        index.set(pathKey(p), { key: pos(el), value: pos(el) });
        visitValue(p, el);
      });
  };
  const visitKv = (base: (string | number)[], kv: AST.TOMLKeyValue) => {
    const parts = keyParts(kv.key);
    // dotted keys: each prefix is located at the key itself
    for (let i = 1; i <= parts.length; i++) {
      const p = [...base, ...parts.slice(0, i)];
      const k = pathKey(p);
      const at = pos(kv.key.keys[i - 1]);
      if (!index.has(k)) index.set(k, { key: at, value: i === parts.length ? pos(kv.value) : at });
    }
    visitValue([...base, ...parts], kv.value);
  };
  const ast = parseTOML(text);
  for (const node of ast.body[0].body) {
    if (node.type === 'TOMLKeyValue') visitKv([], node);
    else {
      const base = node.resolvedKey;
      // each part of [a."b".c] is located at its own key; array-table indices at the part before
      let part = -1;
      for (let i = 1; i <= base.length; i++) {
        if (typeof base[i - 1] === 'string') part++;
        const at = pos(node.key.keys[Math.max(0, Math.min(part, node.key.keys.length - 1))]);
        const k = pathKey(base.slice(0, i));
        if (!index.has(k) || i === base.length) index.set(k, { key: at, value: i === base.length ? pos(node) : at });
      }
      node.body.forEach((kv) => visitKv([...base], kv));
    }
  }
  return index;
}

// ---------- JSON ----------
function jsonFile(name: string, path: string, text: string): SourceFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const errors: JsoncError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false });
    const at = errors[0] ? offsetToPos(text, errors[0].offset) : { line: 1, col: 1 };
    throw new SyntaxAt((e as Error).message.replace(/ in JSON at position \d+.*$/, ''), at);
  }
  let tree: ReturnType<typeof parseTree> | undefined;
  return {
    name, path, format: 'json', text, data,
    locate(p, what = 'key') {
      tree ??= parseTree(text);
      if (!tree) return { line: 1, col: 1 };
      for (let n = p.length; n >= 0; n--) {
        const node = findNodeAtLocation(tree, [...p.slice(0, n)]);
        if (!node) continue;
        // property nodes hold [key, value]; a value node's parent is the property
        const prop = node.parent?.type === 'property' ? node.parent : undefined;
        const target = what === 'key' && prop && n === p.length ? prop.children![0] : node;
        return offsetToPos(text, target.offset);
      }
      /* c8 ignore next -- guard: the empty path (n = 0) always finds the root node */
      return { line: 1, col: 1 };
    },
  };
}

// ---------- YAML ----------
function yamlFile(name: string, path: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const lp = err.linePos?.[0] ?? { line: 1, col: 1 };
    throw new SyntaxAt(err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), { line: lp.line, col: lp.col });
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  return {
    name, path, format: 'yaml', text, data,
    locate(p, what = 'key') {
      let node: unknown = doc.contents;
      let keyNode: unknown;
      for (const part of p) {
        let next: unknown;
        let nextKey: unknown;
        if (isMap(node)) {
          for (const item of node.items) {
            if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(part)) {
              next = item.value;
              nextKey = item.key;
              break;
            }
          }
        } else if (isSeq(node) && typeof part === 'number') {
          next = node.items[part];
          nextKey = next;
        }
        if (next === undefined && nextKey === undefined) break;
        node = next ?? nextKey;
        keyNode = nextKey;
      }
      const target = (what === 'key' && keyNode ? keyNode : node ?? keyNode) as YamlNode | undefined;
      const off = target?.range?.[0] ?? 0;
      return at(off);
    },
  };
}

// ---------- helpers ----------
function pathKey(p: KeyPath): string {
  return JSON.stringify(p.map(String));
}

function lookup(index: Map<string, { key: Position; value: Position }>, p: KeyPath, what: 'key' | 'value'): Position {
  for (let n = p.length; n >= 0; n--) {
    const hit = index.get(pathKey(p.slice(0, n)));
    if (hit) return n === p.length ? hit[what] : hit.key;
  }
  return { line: 1, col: 1 };
}
