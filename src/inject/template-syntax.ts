/**
 * What an inject template may be made of, checked on its syntax tree before nunjucks compiles it.
 *
 * nunjucks' compiler turns a template into JavaScript source and pastes names into it as they
 * were written: a symbol or a string literal standing where a name goes (`{% set "x\"...\"" %}`,
 * a second loop variable, a macro's keyword argument, the test of `is`, a call whose name ends
 * in a backslash) closes the string it is put in and runs as code in the server. nunjucks was
 * never meant for untrusted templates; this check is what makes it fit:
 *  - only the node types of expressions, output, `if`, `for`, `set`, `macro`/`call`, `filter`
 *    blocks and `switch` are allowed: no include, import, extends, blocks or extensions;
 *  - every name a template binds or calls a test by is a Symbol matching NAME, and not one of
 *    the names that reach JavaScript internals (`__proto__`, `constructor`, Object.prototype's)
 *    or nunjucks' own frames (`loop`, whose fields a loop writes into whatever it holds);
 *  - every Symbol is a plain name (the lexer reads quotes and backticks into symbols);
 *  - no regular-expression literal (a pattern such as `(a+)+$` runs for hours);
 *  - a test (`is`) takes one argument: the compiler pastes a test's arguments without commas;
 *  - no `{% raw %}` / `{% verbatim %}` (their end is found in quadratic time), and at most
 *    MAX_NODES parts nested MAX_DEPTH deep; a template that does not parse is refused here.
 * The compiler's last paste, the name of a called expression in its error text, is made safe
 * in templates.ts.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A name a template may bind or call. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names that reach JavaScript internals: never looked up as data (templates.ts), never bound. */
export const JS_INTERNAL_NAMES: ReadonlySet<string> = new Set(['constructor', '__proto__', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/** Names that are never bound: JavaScript internals and nunjucks' loop state. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...JS_INTERNAL_NAMES, 'loop']);

interface Node {
  typename: string;
  fields: string[];
  children?: Node[];
  value?: unknown;
  [field: string]: unknown;
}

interface Parser {
  parse(src: string, extensions?: unknown[], opts?: object): Node;
}

const ALLOWED = new Set([
  'Root', 'NodeList', 'Output', 'TemplateData', 'Literal', 'Symbol', 'Group', 'Array', 'Dict', 'Pair', 'LookupVal',
  'If', 'InlineIf', 'For', 'Set', 'Capture', 'Macro', 'Caller', 'FunCall', 'Filter', 'KeywordArgs', 'Switch', 'Case',
  'Is', 'In', 'Or', 'And', 'Not', 'Add', 'Concat', 'Sub', 'Mul', 'Div', 'FloorDiv', 'Mod', 'Pow', 'Neg', 'Pos',
  'Compare', 'CompareOperand',
]);

/** A template the checks refuse; the message says what and where (line, column). */
export class TemplateSyntaxError extends Error {
  readonly code = 'TEMPLATE_SYNTAX';
}

function at(n: Node): string {
  const line = typeof n.lineno === 'number' ? n.lineno + 1 : undefined;
  const col = typeof n.colno === 'number' ? n.colno + 1 : undefined;
  return line !== undefined ? ` (line ${line}, column ${col})` : '';
}

/** A name bound by the template (set, for, macro and its arguments). */
function bound(n: unknown, what: string): void {
  const node = n as Node | null;
  if (!node || node.typename !== 'Symbol' || typeof node.value !== 'string' || !NAME.test(node.value))
    throw new TemplateSyntaxError(`${what} must be a plain name${node ? at(node) : ''}`);
  if (RESERVED_NAMES.has(node.value)) throw new TemplateSyntaxError(`${what} "${node.value}" is reserved${at(node)}`);
}

function macroArgs(args: unknown): void {
  for (const a of ((args as Node | null)?.children ?? [])) {
    if (a.typename === 'KeywordArgs') for (const p of a.children ?? []) bound(p.key, 'a macro argument');
    else bound(a, 'a macro argument');
  }
}

/** nodes and nesting one template may have: the walk and nunjucks' compiler recurse */
const MAX_NODES = 200_000;
const MAX_DEPTH = 200;
let seen = 0;

/**
 * `weight`: how many times the compiler emits this part. A loop over pairs (`for k, v in x`)
 * compiles its body twice (for a list and for an object): nested twenty deep, a 600-character
 * template made a million times its size in code and V8 ran out of memory compiling it.
 */
function walk(n: unknown, depth = 0, weight = 1): void {
  if (!n || typeof n !== 'object') return;
  if ((seen += weight) > MAX_NODES) throw new TemplateSyntaxError(`has more than ${MAX_NODES} parts, counted as compiled (a loop over pairs compiles its body twice)`);
  if (depth > MAX_DEPTH) throw new TemplateSyntaxError(`nests more than ${MAX_DEPTH} deep`);
  if (Array.isArray(n)) {
    for (const x of n) walk(x, depth, weight);
    return;
  }
  const node = n as Node;
  if (typeof node.typename !== 'string') return;
  if (!ALLOWED.has(node.typename)) throw new TemplateSyntaxError(`${node.typename} is not allowed in a template${at(node)}`);
  switch (node.typename) {
    case 'Symbol':
      if (typeof node.value !== 'string' || !NAME.test(node.value)) throw new TemplateSyntaxError(`${JSON.stringify(node.value)} is not a name${at(node)}`);
      break;
    case 'Pair': {
      // a "__proto__" key in an object literal sets the object's prototype (a fake SafeString)
      const key = node.key as Node | null;
      if (key && (key.typename === 'Symbol' || key.typename === 'Literal') && key.value === '__proto__')
        throw new TemplateSyntaxError(`"__proto__" cannot be a key${at(node)}`);
      break;
    }
    case 'Neg':
    case 'Pos': {
      // emitted as `-` / `+` right before the operand: two in a row are JavaScript's -- / ++
      const t = (node.target as Node | null)?.typename;
      if (t === 'Neg' || t === 'Pos') throw new TemplateSyntaxError(`two signs in a row: put the inner one in parentheses${at(node)}`);
      break;
    }
    case 'Literal':
      if (node.value instanceof RegExp) throw new TemplateSyntaxError(`regular expression literals (r/.../) are not allowed${at(node)}`);
      break;
    case 'Set':
      for (const t of (node.targets as Node[] | null) ?? []) bound(t, 'a set target');
      break;
    case 'For': {
      const name = node.name as Node;
      if (name?.typename === 'Array') for (const c of name.children ?? []) bound(c, 'a loop variable');
      else bound(name, 'a loop variable');
      break;
    }
    case 'Macro':
      bound(node.name, 'a macro name');
      macroArgs(node.args);
      break;
    case 'Caller':
      macroArgs(node.args);
      break;
    case 'Is': {
      const right = node.right as Node | null;
      const test = right?.typename === 'FunCall' ? (right.name as Node | null) : right;
      if (!test || test.typename !== 'Symbol' || typeof test.value !== 'string' || !NAME.test(test.value))
        throw new TemplateSyntaxError(`the test after "is" must be a plain name${at(node)}`);
      // the compiler pastes a test's arguments together without commas: two of them make
      // `"a"["constructor"]...` plain JavaScript, past every lookup hook
      if (right?.typename === 'FunCall' && ((right.args as Node | null)?.children?.length ?? 0) > 1)
        throw new TemplateSyntaxError(`a test takes one argument${at(node)}`);
      break;
    }
  }
  // every node-valued property, not only the declared `fields`: a block set keeps its
  // content in `body`, which Set does not declare and the compiler compiles all the same
  const twice = node.typename === 'For' && (node.name as Node | null)?.typename === 'Array';
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (v && typeof v === 'object') walk(v, depth + 1, twice && k === 'body' ? weight * 2 : weight);
  }
}

/** `{% raw %}` / `{% verbatim %}`: nunjucks finds their end with an unanchored lazy pattern, quadratic on a long rest. */
const RAW = /\{%[-+]?\s*(?:raw|verbatim)\b/;

/** nunjucks prefixes its messages with "(unknown path) [Line 1, Column 4]\n  "; keep one line. */
export function nunjucksMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).replace(/^\(unknown path\)\s*/, '').replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Throws a TemplateSyntaxError when `src` uses anything the checks above refuse, or does not
 * parse: nothing this check could not read is compiled.
 */
export function checkTemplateSyntax(src: string): void {
  if (RAW.test(src)) throw new TemplateSyntaxError('{% raw %} and {% verbatim %} are not allowed');
  const parser = require('nunjucks/src/parser') as Parser;
  let root: Node;
  try {
    root = parser.parse(src, [], {});
  } catch (e) {
    throw new TemplateSyntaxError(nunjucksMessage(e));
  }
  seen = 0;
  walk(root);
}
