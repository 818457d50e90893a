/**
 * Bounds on what one template rendering may cost. Templates come from API clients and nunjucks
 * renders synchronously on the owner's event loop, so a template that loops, recurses or builds
 * huge strings (`{% set s = s ~ s %}` thirty times is 1 GB) would stall every session and
 * request of the process, or exhaust its memory. Compiled templates reach their data and
 * output only through a handful of runtime functions; those are wrapped here to charge a
 * budget per rendering:
 *  - work: every lookup, output, variable set (each loop iteration sets its loop variables),
 *    call and filter costs one unit, and the clock is read every 64 units;
 *  - size: no string, array or object a template makes (counted as a tree, however its parts
 *    are shared) may exceed the rendering's character limit, nor its output;
 *  - filters whose own loops or regular expressions run away on chosen input are replaced
 *    (trim, striptags: quadratic regular expressions on long runs of spaces or unclosed
 *    tags) or have their arguments checked first (center, indent, replace, join, batch,
 *    slice, range).
 * What a template may contain at all is checked before it is compiled (template-syntax.ts).
 */
import { createRequire } from 'node:module';
import type nunjucks from 'nunjucks';

const require = createRequire(import.meta.url);

export interface RenderLimits {
  /** the largest string (and output) a rendering may make */
  readonly maxChars: number;
  /** wall-clock time of one rendering */
  readonly timeMs: number;
  /** units of work of one rendering (default 5,000,000) */
  readonly maxOps?: number;
}

export type LimitKind = 'size' | 'time' | 'work';

/** A rendering went past a limit. */
export class TemplateLimitError extends Error {
  readonly code = 'TEMPLATE_LIMIT';
  constructor(readonly kind: LimitKind, message: string) {
    super(message);
    this.name = 'TemplateLimitError';
  }
}

interface Budget {
  readonly limits: RenderLimits;
  readonly deadline: number;
  ops: number;
  readonly maxOps: number;
  output: number;
  readonly sizes: WeakMap<object, number>;
  tripped?: TemplateLimitError;
}

let current: Budget | undefined;

function trip(b: Budget, e: TemplateLimitError): never {
  b.tripped ??= e;
  throw b.tripped;
}

/** `n` units of work (default one); the clock is read every 64 units and at every large charge. */
function tick(n = 1): void {
  const b = current;
  if (!b) return;
  const before = b.ops;
  if ((b.ops += n) > b.maxOps) trip(b, new TemplateLimitError('work', `takes more than ${b.maxOps} steps to render`));
  if (((b.ops ^ before) & ~63) !== 0 && Date.now() > b.deadline) trip(b, new TemplateLimitError('time', `takes longer than ${b.limits.timeMs} ms to render`));
}

/**
 * Work in proportion to the size of a string or list handed out (a lookup, an argument): what
 * a template does with a value it has (compare it, concatenate it, test `in` it, turn it into
 * a string) runs as plain JavaScript no hook sees, and costs up to its size. One unit per 32
 * characters (a list element counts as 16).
 */
function use(v: unknown): void {
  const b = current;
  if (!b || v === undefined || v === null) return;
  if (typeof v === 'string') {
    if (v.length >= 64) tick(v.length >>> 5);
    return;
  }
  // an object turns into "[object Object]" and answers `in` at once: only lists cost their size
  if (!Array.isArray(v)) return;
  const n = sizeOf(b, v);
  if (n >= 64) tick(n >>> 5);
}

function tooBig(b: Budget): never {
  trip(b, new TemplateLimitError('size', `makes a value of more than ${b.limits.maxChars} characters`));
}

let SafeStringClass: (new (s: string) => { val: string; length: number }) | undefined;

/**
 * Characters plus nodes of a value, as a tree: a list holding the same list twice counts it
 * twice (that is what printing or dumping it costs). Memoised per rendering, so a structure
 * of shared parts costs its distinct parts to measure, not its expanded size.
 */
function sizeOf(b: Budget, v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v === null || typeof v !== 'object') return 8;
  // nunjucks' own SafeString only (its prototype, a string inside): not any object that claims to be one
  if (SafeStringClass && Object.getPrototypeOf(v) === SafeStringClass.prototype && typeof (v as { val?: unknown }).val === 'string') return (v as { val: string }).val.length;
  const known = b.sizes.get(v);
  if (known !== undefined) return known;
  tick();
  let n = 16;
  if (Array.isArray(v)) {
    for (const x of v) if ((n += sizeOf(b, x)) > b.limits.maxChars) break;
  } else {
    for (const [k, x] of Object.entries(v)) if ((n += k.length + sizeOf(b, x)) > b.limits.maxChars) break;
  }
  b.sizes.set(v, n);
  return n;
}

/** A value a template made or is about to print: within the size limit, or the rendering stops. */
function check(v: unknown): void {
  const b = current;
  if (!b || v === undefined || v === null || (typeof v !== 'string' && typeof v !== 'object')) return;
  const n = sizeOf(b, v);
  if (n > b.limits.maxChars) tooBig(b);
}

/** Runs `fn` (one synchronous rendering) within `limits`; throws the TemplateLimitError it tripped. */
export function renderWithin<T>(limits: RenderLimits, fn: () => T): T {
  const prev = current;
  const b: Budget = {
    limits,
    deadline: Date.now() + limits.timeMs,
    ops: 0,
    maxOps: limits.maxOps ?? 5_000_000,
    output: 0,
    sizes: new WeakMap(),
  };
  current = b;
  try {
    const out = fn();
    if (typeof out === 'string' && out.length > limits.maxChars) tooBig(b);
    return out;
  } catch (e) {
    // nunjucks wraps what a runtime function throws in its own error: the limit is the cause
    throw b.tripped ?? e;
  } finally {
    current = prev;
  }
}

interface Runtime {
  Frame: { prototype: { set(name: string, val: unknown, resolveUp?: boolean): void } };
  SafeString: new (s: string) => { val: string; length: number };
  suppressValue(val: unknown, autoescape: boolean): unknown;
  memberLookup(obj: unknown, val: unknown): unknown;
  contextOrFrameLookup(...a: unknown[]): unknown;
  callWrap(...a: unknown[]): unknown;
  inOperator(key: unknown, val: unknown): unknown;
  copySafeness(dest: unknown, target: string): unknown;
}

let installed = false;
/** Wraps nunjucks' runtime functions (once per process: the runtime is one module). */
export function installBudgetHooks(): void {
  if (installed) return;
  installed = true;
  const rt = require('nunjucks/src/runtime') as Runtime;
  SafeStringClass = rt.SafeString;
  const { suppressValue, memberLookup, contextOrFrameLookup, callWrap } = rt;
  rt.suppressValue = (val, autoescape) => {
    tick();
    const b = current;
    if (b && val !== undefined && val !== null) {
      const n = sizeOf(b, val);
      if ((b.output += n) > b.limits.maxChars) tooBig(b);
    }
    return suppressValue(val, autoescape);
  };
  rt.memberLookup = (obj, val) => {
    tick();
    const v = memberLookup(obj, val);
    use(v);
    return v;
  };
  rt.contextOrFrameLookup = (...a) => {
    tick();
    const v = contextOrFrameLookup(...a);
    use(v);
    return v;
  };
  rt.callWrap = (...a) => (tick(), callWrap(...a));
  const inOperator = rt.inOperator;
  rt.inOperator = (key, val) => (tick(), use(val), inOperator(key, val));
  // a loop variable or macro argument is a plain JavaScript variable in compiled code: no
  // lookup hook sees it. Comparing or joining a 20M-character one cost 20 ms a time, 3,000
  // times in a row within one step of the budget; operands of ~, +, == and the other
  // comparisons are charged as lookups are
  (rt as unknown as { budgetOperand(v: unknown): unknown }).budgetOperand = (v) => (use(v), v);
  budgetOperators();
  const set = rt.Frame.prototype.set;
  rt.Frame.prototype.set = function (name, val, resolveUp) {
    tick();
    check(val);
    return set.call(this, name, val, resolveUp);
  };
}

interface CompilerProto {
  compile(node: unknown, frame: unknown): void;
  _emit(code: string): void;
}
interface OperatorNode {
  left: unknown;
  right: unknown;
  expr: unknown;
  ops: { type: string; expr: unknown }[];
}

/** nunjucks' comparison operators (compiler.js compareOps): anything else is refused */
const COMPARE_OPS: Readonly<Record<string, string>> = Object.freeze(Object.assign(Object.create(null) as Record<string, string>, { '==': '==', '===': '===', '!=': '!=', '!==': '!==', '<': '<', '>': '>', '<=': '<=', '>=': '>=' }));

/** The compiler emits `runtime.budgetOperand(x)` around each operand of ~, + and comparisons. */
function budgetOperators(): void {
  const { Compiler } = require('nunjucks/src/compiler') as { Compiler: { prototype: Record<string, unknown> } };
  const P = Compiler.prototype;
  const operand = (c: CompilerProto, node: unknown, frame: unknown) => {
    c._emit('runtime.budgetOperand(');
    c.compile(node, frame);
    c._emit(')');
  };
  const binary = (op: string) => function (this: CompilerProto, node: OperatorNode, frame: unknown) {
    operand(this, node.left, frame);
    this._emit(op);
    operand(this, node.right, frame);
  };
  P.compileAdd = binary(' + ');
  P.compileConcat = binary(' + "" + ');
  P.compileCompare = function (this: CompilerProto, node: OperatorNode, frame: unknown) {
    operand(this, node.expr, frame);
    for (const op of node.ops) {
      const js = COMPARE_OPS[op.type];
      if (!js) throw new Error(`unknown comparison ${JSON.stringify(op.type)}`);
      this._emit(` ${js} `);
      operand(this, op.expr, frame);
    }
  };
}

type Filter = (...args: unknown[]) => unknown;

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : dflt);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const lengthOf = (v: unknown): number => (Array.isArray(v) || typeof v === 'string' ? v.length : 0);

function need(cond: boolean, what: string): void {
  const b = current;
  if (b && !cond) trip(b, new TemplateLimitError('size', `${what} would make more than ${b.limits.maxChars} characters`));
}

/** `str.replace(/^\s*|\s*$/g, '')` (nunjucks' trim) without its quadratic time on long inner runs of white space. */
export function trimFilter(rt: Pick<Runtime, 'copySafeness'>): Filter {
  return (s) => rt.copySafeness(s, str(s).trim());
}

/**
 * nunjucks' center with native padding: its own builds the padding a character at a time, 1.5 s
 * for a width of 20 million, in one call no budget check interrupts. Same output: nunjucks'
 * loop `for (i = 0; i < n; i++)` pads ceil(n) times for a fractional n (an odd count of spaces).
 */
export function centerFilter(rt: Pick<Runtime, 'copySafeness'>): Filter {
  return (input, width) => {
    const s = input === null || input === undefined || input === false ? '' : input;
    const w = (width || 80) as number;
    const len = (s as { length?: number }).length as number;
    if (len >= w) return s;
    const spaces = w - len;
    const pad = (n: number) => ' '.repeat(n > 0 ? Math.ceil(n) : 0);
    return rt.copySafeness(s, pad(spaces / 2 - (spaces % 2)) + String(s) + pad(spaces / 2));
  };
}

/** Removes what nunjucks' tag pattern `<\/?([a-z][a-z0-9]*)\b[^>]*>|<!--[\s\S]*?-->` (gi) matches, in linear time. */
export function stripTagsOnly(input: string): string {
  let out = '';
  let from = 0;
  let gt = -2; // index of the next '>' at or after the scan position (-1: none left)
  let endComment = -2;
  const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  const isWord = (c: number) => isAlpha(c) || (c >= 48 && c <= 57) || c === 95;
  for (let i = input.indexOf('<'); i !== -1; i = input.indexOf('<', i)) {
    let end = -1;
    let p = i + 1;
    if (input.charCodeAt(p) === 47) p++; // '/'
    if (isAlpha(input.charCodeAt(p))) {
      p++;
      while (p < input.length && (isAlpha(input.charCodeAt(p)) || (input.charCodeAt(p) >= 48 && input.charCodeAt(p) <= 57))) p++;
      if (p >= input.length || !isWord(input.charCodeAt(p))) {
        if (gt !== -1 && gt < p) gt = input.indexOf('>', p);
        if (gt !== -1) end = gt + 1;
      }
    }
    if (end < 0 && input.startsWith('<!--', i)) {
      if (endComment !== -1 && endComment < i + 4) endComment = input.indexOf('-->', i + 4);
      if (endComment !== -1) end = endComment + 3;
    }
    if (end < 0) {
      i++;
      continue;
    }
    out += input.slice(from, i);
    from = i = end;
  }
  return out + input.slice(from);
}

/** Leading and trailing spaces off one line (/^ +| +$/ without the quadratic backtracking of ` +$`). */
function stripSpaces(seg: string): string {
  let a = 0;
  let z = seg.length;
  while (a < z && seg.charCodeAt(a) === 32) a++;
  while (z > a && seg.charCodeAt(z - 1) === 32) z--;
  return seg.slice(a, z);
}

/** nunjucks' striptags with its regular expressions made linear (same output). */
export function striptagsFilter(rt: Pick<Runtime, 'copySafeness'>): Filter {
  return (input, preserveLinebreaks) => {
    const s = str(input);
    const trimmed = stripTagsOnly(s).trim();
    let res: string;
    if (preserveLinebreaks) {
      // /^ +| +$/gm: leading and trailing spaces of every line (lines end at \n, \r, U+2028, U+2029)
      res = trimmed.split(/([\n\r\u2028\u2029])/).map((seg, k) => (k % 2 ? seg : stripSpaces(seg))).join('')
        .replace(/ +/g, ' ').replace(/(\r\n)/g, '\n').replace(/\n\n\n+/g, '\n\n');
    } else res = trimmed.replace(/\s+/gi, ' ');
    return rt.copySafeness(input, res);
  };
}

/** Argument checks before a filter whose output size is set by its arguments. */
const PRECHECKS: Record<string, (args: unknown[]) => void> = {
  center: ([, width]) => need(num(width, 80) <= (current?.limits.maxChars ?? Infinity), 'center()'),
  indent: ([s, width]) => need(num(width, 4) * (str(s).split('\n').length) <= (current?.limits.maxChars ?? Infinity), 'indent()'),
  replace: ([s, old, repl]) => {
    if (typeof old !== 'string' && typeof old !== 'number') return;
    const text = str(s);
    const o = String(old);
    const r = str(repl);
    let count = 0;
    if (o === '') count = text.length + 1;
    else for (let k = text.indexOf(o); k !== -1; k = text.indexOf(o, k + o.length)) count++;
    need(text.length + count * Math.max(0, r.length - o.length) <= (current?.limits.maxChars ?? Infinity), 'replace()');
  },
  // the parts' own sizes too: [s, s, s]|join of a 20M-character s is 60M characters
  join: ([arr, del]) => need(sizeNow(arr) + lengthOf(arr) * str(del).length <= (current?.limits.maxChars ?? Infinity), 'join()'),
  // each chunk a list (16), the last one filled up to `linecount` when a filler is given
  batch: ([, linecount, fill]) => {
    const n = num(linecount, 1);
    need(n * (fill ? 16 : 1) <= (current?.limits.maxChars ?? Infinity), 'batch()');
    if (fill) tick(n);
  },
  // `slices` lists are made, however short the input: [1]|slice(20000000) made 20 million
  slice: ([, slices]) => {
    const n = num(slices, 1);
    need(n * 16 <= (current?.limits.maxChars ?? Infinity), 'slice()');
    tick(n);
  },
  dump: ([v, spaces]) => need(sizeNow(v) * (1 + Math.min(10, Math.max(0, num(spaces, 0)))) <= (current?.limits.maxChars ?? Infinity), 'dump()'),
};

/** The size of a value (as sizeOf) in the current rendering; 0 outside one. */
function sizeNow(v: unknown): number {
  return current ? sizeOf(current, v) : 0;
}

/**
 * Puts every filter of `env` under the budget (string arguments and results within the size
 * limit, one unit of work per call), replaces trim and striptags, and caps range().
 */
export function budgetEnvironment(env: nunjucks.Environment): void {
  installBudgetHooks();
  const rt = require('nunjucks/src/runtime') as Runtime;
  const filters = (env as unknown as { filters: Record<string, Filter> }).filters;
  filters.trim = trimFilter(rt);
  filters.striptags = striptagsFilter(rt);
  filters.center = centerFilter(rt);
  for (const [name, f] of Object.entries(filters)) {
    const pre = PRECHECKS[name];
    filters[name] = function (this: unknown, ...args: unknown[]) {
      tick();
      for (const a of args) {
        if (typeof a === 'string') check(a);
        use(a);
        // a filter walks an object whole (dictsort, list, length, dump, groupby): its size,
        // as a list's, is work (a lookup of one is not: it is looked into, not walked)
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
          const n = sizeNow(a);
          if (n >= 64) tick(n >>> 5);
        }
      }
      const input = args[0];
      // nunjucks walks `for (i < obj.length)` over whatever it is given: a data object with a
      // "length" of 1e9 (JSON can say so) ran unbudgeted until V8 aborted the process
      if (LISTS.has(name) && input !== null && typeof input === 'object' && !Array.isArray(input) && !(SafeStringClass && input instanceof SafeStringClass) && Object.hasOwn(input, 'length'))
        throw new Error(`${name}() takes a list, not an object with a "length"`);
      // these make a list of a string's characters or words: each element costs what a list element does
      if (SPLITS.has(name) && typeof input === 'string') {
        need(input.length * 16 <= (current?.limits.maxChars ?? Infinity), `${name}() of a string this long`);
        tick(input.length);
      }
      // sorting compares n log n times, in nunjucks' own comparator
      const n = lengthOf(input);
      if (SORTS.has(name) && n > 1) tick(n * Math.ceil(Math.log2(n)));
      pre?.(args);
      // replace and truncate keep a SafeString input safe (a macro's or caller()'s output) and
      // paste their other strings into it (replace also searches for one: data could remove
      // the template's own markup): in an autoescaping environment those strings are escaped
      // unless they are safe themselves, as Jinja's Markup does
      if (PASTES[name] !== undefined && SafeStringClass && input instanceof SafeStringClass && (this as { env?: { opts?: { autoescape?: boolean } } })?.env?.opts?.autoescape) {
        for (const k of PASTES[name]!) {
          const a = args[k];
          // (anything else is pasted as "[object ...]" or, as replace's pattern, ignored)
          if (typeof a === 'string' || typeof a === 'number') args[k] = escapeHtml(String(a));
        }
      }
      const out = f.apply(this, args);
      check(out);
      return out;
    };
  }
  const globals = (env as unknown as { globals: Record<string, Filter> }).globals;
  globals.range = rangeGlobal;
  // names are looked up as obj[name]: without a prototype, `1|valueOf` (which handed out the
  // render Context, and through it the shared Environment) finds no filter. Frozen, with their
  // functions: what one request's template does cannot reach the next one's
  for (const table of [filters, globals, (env as unknown as { tests: Record<string, unknown> }).tests]) {
    Object.setPrototypeOf(table, null);
    for (const f of Object.values(table)) if (typeof f === 'function') Object.freeze(f);
    Object.freeze(table);
  }
}

const SORTS = new Set(['sort', 'dictsort', 'groupby']);
/** filters that paste (or search for) the string arguments at these indexes in their (possibly safe) input */
const PASTES: Record<string, readonly number[]> = Object.assign(Object.create(null) as Record<string, readonly number[]>, { replace: [1, 2], truncate: [3] });

/** nunjucks' own HTML escaping */
const escapeHtml = (require('nunjucks/src/lib') as { escape(s: string): string }).escape;
/** filters that walk their input as a list */
const LISTS = new Set(['batch', 'slice', 'reverse', 'sort', 'groupby', 'select', 'reject', 'selectattr', 'rejectattr', 'sum', 'join', 'first', 'last', 'random', 'list', 'length', 'dictsort']);
/** filters that split a string input into a list (of characters or words) */
const SPLITS = new Set(['list', 'sort', 'reverse', 'urlize', 'title', 'wordcount', 'batch', 'slice', 'groupby', 'random']);

/**
 * range(stop) / range(start, stop[, step]) as nunjucks has it, for numbers only, and counted
 * before it runs: nunjucks' loop adds the step until it passes `stop`, which never happens at
 * 2^53 (`i + 1 === i`) or when `stop` is an array compared as a number.
 */
function rangeGlobal(...args: unknown[]): number[] {
  tick();
  // numbers, or strings that are numbers (substitutions often are), as nunjucks' comparisons took them
  const n = args.map((a) => (typeof a === 'string' && a.trim() !== '' ? Number(a) : a));
  if (!n.length || n.length > 3 || !n.every((a) => typeof a === 'number' && Number.isFinite(a))) throw new Error('range() takes one to three finite numbers');
  const [start, stop, step] = n.length === 1 ? [0, n[0] as number, 1] : [n[0] as number, n[1] as number, (n[2] as number | undefined) || 1];
  const count = Math.max(0, Math.ceil((stop - start) / step));
  need(count * 8 <= (current?.limits.maxChars ?? Infinity), 'range()');
  tick(count >>> 5);
  const out = new Array<number>(count);
  for (let k = 0; k < count; k++) out[k] = start + k * step;
  return out;
}
