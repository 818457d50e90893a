/**
 * Jinja-style templates for inject requests (KumoMTA uses minijinja; nunjucks speaks the same
 * syntax). Each template is compiled once (and kept for the next requests carrying it) and
 * rendered per recipient. HTML parts autoescape substitutions; text parts, headers and
 * subjects do not.
 *
 * Templates come from API clients: they must not reach JavaScript internals. nunjucks resolves
 * `a.b` and bare names through two runtime functions; both are narrowed here so that a
 * template sees only the JSON data it was given (own properties), never a prototype, a
 * constructor or `Function`. What a template may be made of is checked before it is
 * compiled (template-syntax.ts: nunjucks' compiler pastes names into the code it generates),
 * and what a rendering may cost is bounded (template-budget.ts).
 */
import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';
import { TemplateLimitError, budgetEnvironment, renderWithin } from './template-budget.js';
import { JS_INTERNAL_NAMES, checkTemplateSyntax, nunjucksMessage } from './template-syntax.js';
import type { LimitKind, RenderLimits } from './template-budget.js';
import type { Variables } from './render-protocol.js';
export type { Variables };

const require = createRequire(import.meta.url);

interface NunjucksRuntime {
  memberLookup(obj: unknown, val: unknown): unknown;
  contextOrFrameLookup(context: { ctx: Record<string, unknown>; env: { globals: Record<string, unknown> } }, frame: { lookup(name: string): unknown }, name: string): unknown;
}

const FORBIDDEN = JS_INTERNAL_NAMES;

let hardened = false;
/** Narrows nunjucks' name and member lookups (once per process; the runtime is one module). */
function harden(): void {
  if (hardened) return;
  hardened = true;
  const runtime = require('nunjucks/src/runtime') as NunjucksRuntime;
  const memberLookup = runtime.memberLookup;
  runtime.memberLookup = (obj, val) => {
    if (obj === undefined || obj === null) return undefined;
    const key = typeof val === 'number' ? val : String(val);
    if (typeof key === 'string' && FORBIDDEN.has(key)) return undefined;
    // own data only: no inherited methods (strings and arrays keep their indexes and length)
    if (!Object.hasOwn(Object(obj), key)) return undefined;
    return memberLookup(obj, val);
  };
  // the one name the compiler still pastes into code as it was written: the called
  // expression's, for its error text (quotes escaped, a trailing backslash not)
  const { Compiler } = require('nunjucks/src/compiler') as { Compiler: { prototype: { _getNodeName(n: unknown): string } } };
  const nodeName = Compiler.prototype._getNodeName;
  Compiler.prototype._getNodeName = function (n) {
    // at most 80 characters: the compiler names a call once per level of calls, each name
    // holding the inner ones; whole, a 1 MB literal called 190 deep took 28 s to compile
    const name = String(nodeName.call(this, n));
    return (name.length > 80 ? `${name.slice(0, 77)}...` : name).replace(/[^A-Za-z0-9_ .,()[\]-]/g, '?');
  };
  // a bare name is a variable the template set, the request's data, or one of our globals:
  // own properties only. nunjucks' own lookup uses `in`, which climbs prototypes: a data key
  // "__proto__" (JSON.parse makes it an own key) became the context's prototype, and every
  // Array method a bare name (`concat()` handed out the Context)
  runtime.contextOrFrameLookup = (context, frame, name) => {
    const v = FORBIDDEN.has(name) ? undefined : frame.lookup(name);
    if (v !== undefined) return v;
    if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
    const globals = context.env.globals;
    return !FORBIDDEN.has(name) && Object.hasOwn(globals, name) ? globals[name] : undefined;
  };
}

/**
 * What a template's Context is made from: nunjucks copies it by assignment, and assigning a
 * "__proto__" key sets the copy's prototype. Such a key is dropped (it is not a name a
 * template could look up anyway).
 */
function contextData(vars: Variables): Variables {
  if (!Object.hasOwn(vars, '__proto__')) return vars;
  const copy: Variables = {};
  for (const k of Object.keys(vars)) if (k !== '__proto__') copy[k] = vars[k];
  return copy;
}

/**
 * A template that failed to compile or render; `part` names it (`content/html_body`,
 * `content/headers/X-Foo`...); `limit` when it went past a limit of src/inject/template-budget.ts.
 */
export class TemplateError extends Error {
  readonly code = 'TEMPLATE_ERROR';
  constructor(readonly part: string, readonly detail: string, readonly limit?: LimitKind) {
    super(`${part}: ${detail}`);
    this.name = 'TemplateError';
  }
}


export interface CompiledTemplate {
  readonly part: string;
  render(vars: Variables, limits: RenderLimits): string;
}

let envs: { html: nunjucks.Environment; text: nunjucks.Environment } | undefined;
function environments() {
  harden();
  // no loaders: {% include %} / {% import %} find nothing (no file access from a request)
  if (!envs) {
    envs = {
      html: new nunjucks.Environment([], { autoescape: true, throwOnUndefined: false }),
      text: new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false }),
    };
    budgetEnvironment(envs.html);
    budgetEnvironment(envs.text);
    for (const env of [envs.html, envs.text]) sealEnvironment(env);
  }
  return envs;
}

/**
 * Nothing of an environment changes after it is set up: its extension, loader and async-filter
 * lists and options are frozen, and the environment itself. A template that reached one (a
 * Context hands out `env`) could otherwise register an extension whose `preprocess` rewrites
 * every later template's source after the syntax check.
 */
function sealEnvironment(env: nunjucks.Environment): void {
  const e = env as unknown as Record<string, unknown>;
  for (const k of ['extensions', 'extensionsList', 'asyncFilters', 'loaders', 'opts']) {
    const v = e[k];
    if (v && typeof v === 'object') Object.freeze(v);
  }
  Object.freeze(env);
}

/**
 * Compiled templates by source, most recently used last: the requests of a campaign carry the
 * same templates, and compiling them costs more than rendering them for a batch of recipients.
 * A template is code without state (each render has its own context), so requests share it.
 */
const cache = new Map<string, nunjucks.Template>();
const MAX_CACHED = 256;
const MAX_CACHED_SOURCE = 256 * 1024;

function compiled(src: string, html: boolean): nunjucks.Template {
  const key = `${html ? 'h' : 't'}${src}`;
  const known = cache.get(key);
  if (known) {
    cache.delete(key);
    cache.set(key, known);
    return known;
  }
  checkTemplateSyntax(src);
  const t = new nunjucks.Template(src, html ? environments().html : environments().text, undefined, true);
  if (src.length <= MAX_CACHED_SOURCE) {
    cache.set(key, t);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  }
  return t;
}


/** Compiles `src` now (syntax errors throw a TemplateError naming `part`); `Static` keeps it literal. */
export function compileTemplate(part: string, src: string, opts: { html: boolean; dialect?: 'Jinja' | 'Static' }): CompiledTemplate {
  if (opts.dialect === 'Static' || !/\{[{%#]/.test(src)) return { part, render: () => src };
  let t: nunjucks.Template;
  try {
    t = compiled(src, opts.html);
  } catch (e) {
    throw new TemplateError(part, nunjucksMessage(e));
  }
  return {
    part,
    render(vars, limits) {
      try {
        return renderWithin(limits, () => t.render(contextData(vars)));
      } catch (e) {
        if (e instanceof TemplateLimitError) throw new TemplateError(part, e.message, e.kind);
        throw new TemplateError(part, nunjucksMessage(e));
      }
    },
  };
}
