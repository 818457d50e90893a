// Templates from API clients are held to a budget per rendering (src/inject/template-budget.ts):
// runaway size, work and time end in a TemplateError naming the part and the limit, and the
// filters whose regular expressions are quadratic on chosen data run in linear time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { compileTemplate, TemplateError } from '../../src/inject/templates.js';
import { centerFilter, stripTagsOnly, striptagsFilter, trimFilter } from '../../src/inject/template-budget.js';
import type { LimitKind } from '../../src/inject/template-budget.js';

const require = createRequire(import.meta.url);
const LIMITS = { maxChars: 1024 * 1024, timeMs: 2000 };

interface Outcome { ok: boolean; out?: string; name?: string; message?: string; part?: string; limit?: LimitKind }

/**
 * Renders in a worker thread: a template the budget fails to stop is a synchronous loop that
 * would hold this test process for minutes; the thread is terminated after 20 s instead.
 */
async function render(src: string, vars: Record<string, unknown> | string = {}, limits = LIMITS, html = false): Promise<Outcome> {
  const data = typeof vars === 'string' ? { vars: {}, varsJson: vars } : { vars };
  const w = new Worker(new URL('./render-worker.js', import.meta.url), { workerData: { src, ...data, limits, html } });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Outcome>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${src.slice(0, 80)}: still rendering after 20 s`)), 20_000);
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    await w.terminate();
  }
}

async function refused(src: string, kind: LimitKind | LimitKind[], vars: Record<string, unknown> = {}, limits = LIMITS): Promise<Outcome> {
  const r = await render(src, vars, limits);
  assert.equal(r.ok, false, `${src}: rendered ${r.out?.length} characters`);
  assert.equal(r.name, 'TemplateError', `${src}: ${r.message}`);
  assert.equal(r.part, 'content/text_body');
  assert.ok(([] as LimitKind[]).concat(kind).includes(r.limit!), `${src}: ${r.limit} ${r.message}`);
  return r;
}

describe('inject templates: a budget per rendering', () => {
  it('a string doubled in a loop stops at the size limit (the 863-byte request that took 5 GB)', async () => {
    const e = await refused('{% set s = "xxxxxxxx" %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s | length }}', 'size');
    assert.match(e.message!, /^content\/text_body: makes a value of more than 1048576 characters/);
    // and as the output, without a variable
    await refused('{% for i in range(100000) %}{{ data }}{% endfor %}', 'size', { data: 'y'.repeat(100) });
  });

  it('structures of shared parts count as what printing them costs', async () => {
    await refused('{% set a = ["x"] %}{% for i in range(40) %}{% set a = [a, a] %}{% endfor %}{{ a | dump }}', 'size');
    await refused('{% set a = {"k": "v"} %}{% for i in range(40) %}{% set a = {"l": a, "r": a} %}{% endfor %}{{ a }}', 'size');
  });

  it('filters and range() whose arguments set their output size are checked first', async () => {
    await refused('{{ "x" | center(1000000000) }}', 'size');
    await refused('{{ text | indent(100000) }}', 'size', { text: 'a\n'.repeat(1000) });
    await refused('{{ text | replace("", "0123456789") }}', 'size', { text: 'a'.repeat(200_000) });
    await refused('{{ items | join(sep) }}', 'size', { items: Array(1000).fill('a'), sep: 'x'.repeat(2000) });
    await refused('{% for i in range(1000000000) %}{% endfor %}', 'size');
    await refused('{{ [1] | batch(1000000000, "x") | length }}', 'size');
    await refused('{{ [1] | slice(1000000000) | length }}', 'size');
  });

  it('loops and recursion stop at the work limit or the clock', async () => {
    const e = await refused('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', 'work');
    assert.match(e.message!, /takes more than 5000000 steps/);
    await refused('{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}', ['time', 'work'], {}, { ...LIMITS, timeMs: 200 });
  });

  it('a single filter call is bounded before it runs: slice and batch by the lists they make, join and dump by their parts', async () => {
    // [1]|slice(20971520) made 20 million lists (4 GB, 22 s) in one call the clock never saw
    assert.match((await refused('{{ [1] | slice(100000) | length }}', 'size')).message!, /slice\(\) would make more than/);
    assert.match((await refused('{{ [1] | batch(100000, 0.5) | length }}', 'size')).message!, /batch\(\) would make more than/);
    // the parts of a join and the value of a dump are measured first, not only the result
    assert.match((await refused('{% set s = "x" | center(400000) %}{{ [s, s, s] | join | length }}', ['size', 'work'])).message!, /join\(\) would make more than/);
    assert.match((await refused('{% set s = "x" | center(400000) %}{{ [s, s, s] | dump | length }}', ['size', 'work'])).message!, /dump\(\) would make more than/);
    // ordinary uses are unchanged
    assert.equal((await render('{{ [1, 2, 3, 4] | slice(2) | dump }} {{ [1, 2, 3] | batch(2, 0) | dump }} {{ ["a", "b"] | join("-") }}')).out, '[[1,2],[3,4]] [[1,2],[3]] a-b');
  });

  it('a filter that walks a data object pays for its size', async () => {
    const d: Record<string, number> = {};
    for (let i = 0; i < 50_000; i++) d[`key${i}`] = i;
    await refused('{% for i in range(10000) %}{{ d | length }}{% endfor %}', 'work', { d }, { ...LIMITS, timeMs: 15_000 });
    const small = Object.fromEntries(Object.entries(d).slice(0, 5000));
    assert.equal((await render('{{ d | length }} {{ d | dictsort | first | first }}', { d: small })).out, '5000 key0');
  });

  it('a "__proto__" key in the data does not become the prototype of the template\'s variables', async () => {
    // JSON.parse makes it an own key; nunjucks copied the data by assignment, which set the
    // prototype: Array methods became bare names and concat() handed out the render Context
    const r = await render('{% set c = concat()[0] %}[{{ c.env }}]', '{"__proto__": [], "p": 1}');
    assert.equal(r.ok, false);
    assert.match(r.message!, /Unable to call `concat`/);
    assert.equal((await render('[{{ map }}{{ push }}{{ p }}]', '{"__proto__": [], "p": 1}')).out, '[1]');
  });

  it('loops over pairs count twice (their body is compiled twice): nested 18 deep is refused before compiling', async () => {
    const nest = (k: number) => '{% for a, b in x %}'.repeat(k) + '{{ a }}' + '{% endfor %}'.repeat(k);
    const r = await render(nest(18));
    assert.equal(r.ok, false);
    assert.match(r.message!, /more than 200000 parts, counted as compiled/);
    assert.equal((await render(nest(3), { x: [[1, 2]] })).out, '1');
  });

  it('replace and truncate escape the data they paste into safe HTML (a macro\'s or caller()\'s output)', async () => {
    const src = '{% macro hello() %}<p>Hello NAME</p>{% endmacro %}{{ hello() | replace("NAME", name) }}{% macro w() %}{{ caller() | truncate(5, true, sig) }}{% endmacro %}{% call w() %}<i>regards</i>{% endcall %}';
    const vars = { name: '<script>alert(1)</script>', sig: '<img src=x onerror=alert(2)>' };
    assert.equal((await render(src, vars, LIMITS, true)).out, '<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p><i>re&lt;img src=x onerror=alert(2)&gt;');
    // safe arguments stay as they are; text parts do not escape
    assert.equal((await render('{% macro h() %}<p>N</p>{% endmacro %}{{ h() | replace("N", "<b>x</b>" | safe) }}', {}, LIMITS, true)).out, '<p><b>x</b></p>');
    assert.equal((await render('{% macro h() %}<p>N</p>{% endmacro %}{{ h() | replace("N", name) }}', { name: 'A&B' })).out, '<p>A&B</p>');
    // what replace searches for is escaped too: data cannot cut the template's own markup
    assert.equal((await render('{% macro card(t) %}<b>{{ t }}</b>{% endmacro %}{{ card(title) | replace(strip, "") }}', { title: 'img src=x onerror=alert(1) ', strip: 'b>' }, LIMITS, true)).out, '<b>img src=x onerror=alert(1) </b>');
    assert.equal((await render('{% macro h() %}<p>A&amp;B</p>{% endmacro %}{{ h() | replace("&", "+") }}', {}, LIMITS, true)).out, '<p>A+B</p>');
  });

  it('operands of ~, + and comparisons are charged: a loop variable is no way around the budget', async () => {
    // loop variables are plain JavaScript variables in compiled code, unseen by the lookup
    // hooks: 3,000 comparisons of a 20M-character one ran 73 s against a 1 s budget
    const ifs = Array.from({ length: 300 }, (_, i) => `{% if x ~ "${i}a" == x ~ "${i}b" %}!{% endif %}`).join('');
    await refused(`{% for x in ["a" | center(3000000)] %}${ifs}done{% endfor %}`, 'work', {}, { maxChars: 4 * 1024 * 1024, timeMs: 120_000 });
    assert.equal((await render('{% for x in ["a", 2] %}{{ x ~ 1 }} {{ x + 1 }} {{ x == "a" }} {{ 1 < x < 3 }}|{% endfor %}')).out, 'a1 a1 true true|21 3 false true|');
  });

  it('the name of a called expression in a compile error is cut short (the compiler repeats it per level of calls)', async () => {
    // whole, a 1 MB literal called 190 deep took 28 s and 769 MB to compile
    const r = await render(`{{ x["${'A'.repeat(200_000)}"]()()() }}`, { x: {} });
    assert.equal(r.ok, false);
    assert.ok(r.message!.length < 400, `${r.message!.length} characters: ${r.message!.slice(0, 200)}`);
    assert.match(r.message!, /Unable to call `.*\.\.\.`/);
  });

  it('regular-expression literals are refused when the template is compiled', () => {
    assert.throws(() => compileTemplate('content/html_body', '{{ s | replace(r/(a+)+$/, "x") }}', { html: true }),
      (e: unknown) => e instanceof TemplateError && e.part === 'content/html_body' && /regular expression literals/.test(e.message));
    // "r/" in text, strings or names is not a regex literal
    assert.equal(compileTemplate('p', 'r/ {{ "r/x" }} {{ r }}/2', { html: false }).render({ r: 4 }, LIMITS), 'r/ r/x 4/2');
  });

  it('names must be names: a symbol that smuggles JavaScript into the compiled template is refused', () => {
    // nunjucks' lexer reads `a"&&Function`...`&&"` as one symbol and its compiler pasted it into the code
    // (no delimiters in it: '.', '=' and '(' are written as \x escapes the generated JS decodes)
    const src = 'Hello {{ a"&&Function`globalThis\\x2e__kumoTemplatePwned\\x3d1```&&" }}';
    for (const html of [false, true]) {
      assert.throws(() => compileTemplate('content/text_body', src, { html }).render({}, LIMITS),
        (e: unknown) => e instanceof TemplateError && /is not a name/.test(e.message), src);
      assert.equal((globalThis as { __kumoTemplatePwned?: number }).__kumoTemplatePwned, undefined);
    }
    assert.throws(() => compileTemplate('p', '{{ x | up"per }}', { html: false }), /is not a name/);
    assert.throws(() => compileTemplate('p', '{% macro m$() %}{% endmacro %}', { html: false }), /is not a name|must be a plain name/);
  });

  it('no name position can carry code: string targets, loop variables, macro arguments, tests, call names', () => {
    const g = globalThis as { __kumoTemplatePwned?: number };
    delete g.__kumoTemplatePwned;
    const payload = 'globalThis.__kumoTemplatePwned=1';
    const attacks = [
      `{% set "x\\", 0); ${payload}; //" = 1 %}`,
      `{% set "a.__proto__.polluted" = "P" %}x`,
      `{% for k, "v\\");${payload};//" in {a:1} %}{% endfor %}`,
      `{% macro m("q\\"+(${payload})+\\""=1) %}{% endmacro %}{{ m() }}`,
      `{{ 1 is "odd\\").call(context,1)+(${payload})+env.getTest(\\"odd" }}`,
      `{{ "a\\\\"(",(${payload}), 1);//") }}`,
      '{% for loop in [range] %}{% endfor %}',
      '{% set __proto__ = range %}',
      '{% import "x" as y %}',
      '{% include "x" %}',
      // a test's arguments are pasted without commas: "a"["constructor"]["constructor"](...)()
      `{{ 1 is eq("a", ["constructor"], ["constructor"], ("${payload}"), ()) }}`,
      // the content of a block set is a property Set does not declare: it is checked all the same
      `{% set x %}{% set "y\\",0);${payload};//" = 1 %}{% endset %}hello`,
      '{% set x %}{% include "a" %}{% endset %}',
      '{% for i in [1] %}{{ - -i }}{% endfor %}',
      // a "__proto__" key made an object a SafeString: unescaped output, sizes of its choosing
      '{% macro m() %}x{% endmacro %}{% set d = {"__proto__": m(), "val": "<b>", "length": "z"} %}{{ d }}',
      '{% macro m(a) %}{% endmacro %}{{ m(__proto__=1) }}',
    ];
    for (const src of attacks) {
      assert.throws(() => compileTemplate('content/text_body', src, { html: false }).render({}, LIMITS), TemplateError, src);
      assert.equal(g.__kumoTemplatePwned, undefined, `ran code: ${src}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
    assert.equal(compileTemplate('p', '{{ range.index }}|{{ [1,2] | join(",") }}', { html: false }).render({}, LIMITS), '|1,2');
    // what templates do use still compiles: macros with defaults, call blocks, tuples in for, switch-free if/else
    const ok = '{% macro b(t, cls="x") %}<{{ cls }}>{{ t }}{{ caller() if caller }}{% endmacro %}{% call b("hi") %}!{% endcall %}'
      + '{% for k, v in d %}{{ k }}={{ v }};{% endfor %}{% set n = 2 %}{% if n is odd %}odd{% else %}even{% endif %}';
    assert.equal(compileTemplate('p', ok, { html: false }).render({ d: { a: 1 } }, LIMITS), '<x>hi!a=1;even');
  });

  it('checking a template takes time in proportion to it: deep nesting, raw blocks', async () => {
    // the first version of the check walked a list's children twice: each level doubled the work
    const deep = `{{ ${'['.repeat(40)}1${']'.repeat(40)} | length }}`;
    assert.deepEqual(await render(deep), { ok: true, out: '1' });
    const ifs = `${'{% if 1 %}'.repeat(30)}x${'{% endif %}'.repeat(30)}`;
    assert.deepEqual(await render(ifs), { ok: true, out: 'x' });
    const tooDeep = await render(`{{ ${'['.repeat(300)}1${']'.repeat(300)} }}`);
    assert.equal(tooDeep.ok, false);
    // nunjucks finds the end of a raw block in quadratic time: refused before it is parsed
    for (const src of [`{% raw %}${'{%'.repeat(50_000)}`, '{%- verbatim %}x{% endverbatim %}']) {
      const r = await render(src);
      assert.equal(r.ok, false);
      assert.match(r.message!, /raw %\} and \{% verbatim %\} are not allowed/);
    }
  });

  it('filters and tests are found by their own names only: 1|valueOf no longer hands out the render context', () => {
    for (const src of ['{{ 1 | valueOf }}', '{{ "x" | __defineGetter__("y", 1) }}', '{{ "a" | constructor }}', '{% if 1 is toString %}y{% endif %}']) {
      assert.throws(() => compileTemplate('p', src, { html: false }).render({}, LIMITS), (e: unknown) => e instanceof TemplateError && /not found/.test(e.message), src);
    }
    // and an attempt to replace a filter for everyone leaves the next rendering alone
    const attack = '{%- set c = 1|valueOf -%}{%- for k, v in c.env %}{% if k == "addFilter" %}{{ v("upper", cycler("HIJACKED").next) }}{% endif %}{% endfor -%}';
    assert.throws(() => compileTemplate('a', attack, { html: false }).render({}, LIMITS), TemplateError);
    assert.equal(compileTemplate('b', 'Hi {{ name|upper }}', { html: false }).render({ name: 'bob' }, LIMITS), 'Hi BOB');
  });

  it('range() counts before it runs and takes numbers only (nunjucks looped forever at 2^53, or on a list)', async () => {
    assert.deepEqual(await render('{{ range(2**53, 2**53 + 2) | length }}'), { ok: true, out: '2' });
    assert.deepEqual(await render('{{ range(n, n + 2) | length }}', { n: 2 ** 53 }), { ok: true, out: '2' });
    assert.deepEqual(await render('{{ range(3) | join(",") }} {{ range(5, 0, -2) | join(",") }} {{ range("4") | length }}'), { ok: true, out: '0,1,2 5,3,1 4' });
    const r = await render('{{ range([1000000000]) | length }}');
    assert.equal(r.ok, false);
    assert.match(r.message!, /range\(\) takes one to three finite numbers/);
  });

  it('a data object with a huge "length" is not a list: refused, where nunjucks ran until V8 aborted', async () => {
    for (const f of ['sort | join(", ")', 'reverse | length', 'batch(3) | length', 'select("odd") | length', 'groupby("a") | length']) {
      const r = await render(`{{ items | ${f} }}`, { items: { length: 1e9 } });
      assert.equal(r.ok, false, f);
      assert.match(r.message!, /takes a list, not an object with a "length"/, f);
    }
    // an object with a "length" key is still data: printed, looked up
    assert.deepEqual(await render('{{ o.length }} {{ o | dump }}', { o: { length: 3 } }), { ok: true, out: '3 {"length":3}' });
  });

  it('a filter that splits a long string into a list is refused before it runs', async () => {
    const s = 'ab '.repeat(1024 * 1024 / 3);
    for (const f of ['list', 'sort', 'urlize', 'reverse', 'title', 'wordcount']) await refused(`{{ s | ${f} | length }}`, 'size', { s: s + s });
    // a list compared in a loop is turned into a string each time, by JavaScript no hook sees:
    // each lookup costs its size
    const e = await refused('{% for i in range(1000) %}{% if a == 1 %}{% endif %}{% endfor %}', 'work', { a: Array(100_000).fill(1) });
    assert.match(e.message!, /takes more than 5000000 steps/);
    // the same value looked up a few times is fine
    assert.deepEqual(await render('{{ s | length }} {{ s[0] }} {{ "b" in s }}', { s }), { ok: true, out: `${s.length} a true` });
  });

  it('ordinary templates render as before, within the limits', () => {
    const t = compileTemplate('p', '{% for r in rows %}{{ loop.index }}:{{ r.name | title }}{% if not loop.last %}, {% endif %}{% endfor %} [{{ " x " | trim }}] {{ "<b>hi</b>" | striptags }}', { html: false });
    assert.equal(t.render({ rows: [{ name: 'ann lee' }, { name: 'bo' }] }, LIMITS), '1:Ann Lee, 2:Bo [x] hi');
  });

  it('trim and striptags take linear time on the inputs that made nunjucks\' regular expressions quadratic', async () => {
    const spaces = 'a' + ' '.repeat(200_000) + 'b';
    assert.deepEqual(await render('{{ s | trim }}', { s: ` ${spaces} ` }), { ok: true, out: spaces });
    const unclosed = '<a'.repeat(200_000);
    assert.deepEqual(await render('{{ s | striptags }}', { s: unclosed }), { ok: true, out: unclosed });
    const lines = ('x' + ' '.repeat(100_000) + 'y\n').repeat(3);
    assert.deepEqual(await render('{{ s | striptags(true) }}', { s: lines }), { ok: true, out: lines.trim().replace(/ +/g, ' ') });
  });

  it('trim, striptags and center give what nunjucks\' own filters give (random inputs)', () => {
    const original = require('nunjucks/src/filters') as { striptags(s: string, p?: boolean): string; trim(s: string): string; center(s: unknown, w?: unknown): unknown };
    const center = centerFilter(require('nunjucks/src/runtime') as { copySafeness(d: unknown, t: string): unknown });
    for (const input of ['', 'a', 'ab', 'abc', 'abcdef', 7, null, undefined, false, 'é'])
      for (const width of [undefined, 0, 1, 2, 3, 4, 5, 9, 10, 80, '7', 2.5, 'x', null])
        assert.deepEqual(center(input, width), original.center(input, width), `${JSON.stringify(input)} ${JSON.stringify(width)}`);
    const rt = require('nunjucks/src/runtime') as { copySafeness(d: unknown, t: string): unknown };
    const strip = striptagsFilter(rt);
    const trim = trimFilter(rt);
    const alphabet = ['<', '>', '/', 'a', 'B', '1', '_', ' ', '\n', '\r', '\t', '!', '-', '<!--', '-->', '\u2028', 'é', '<p>', '</div>', '<a href="x">'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let k = 0; k < 3000; k++) {
      let s = '';
      for (let n = rnd(40); n > 0; n--) s += alphabet[rnd(alphabet.length)];
      assert.equal(stripTagsOnly(s), s.replace(/<\/?([a-z][a-z0-9]*)\b[^>]*>|<!--[\s\S]*?-->/gi, ''), JSON.stringify(s));
      assert.equal(strip(s), original.striptags(s), JSON.stringify(s));
      assert.equal(strip(s, true), original.striptags(s, true), JSON.stringify(s));
      assert.equal(trim(s), original.trim(s), JSON.stringify(s));
    }
  });
});
