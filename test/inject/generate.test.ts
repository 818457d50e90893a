// Inject request → messages, in process: templates (substitution order, HTML autoescape, errors
// naming the part, no way out to JavaScript), MIME structure from nodemailer's composer, and a
// string message made CRLF with Date / Message-ID added.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequest, InjectRequestError } from '../../src/inject/generate.js';
import type { InjectRecipient, InjectV1Request } from '../../src/inject/schema.js';
import { TemplateError } from '../../src/inject/templates.js';
import { addressProblem } from '../../src/inject/address.js';
import { TemplateSandbox } from '../../src/inject/render-sandbox.js';
import { createLogger } from '../../src/logging/logger.js';

const LIMITS = { maxChars: 20 * 1024 * 1024, timeMs: 1000 };

const GIF = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

// the renderer the server uses: a locked-down process of its own
const sandbox = new TemplateSandbox(createLogger({ out: () => undefined }));
after(() => sandbox.stop());
const compile = (req: InjectV1Request) => compileRequest(req, LIMITS, sandbox);

async function generate(req: InjectV1Request, i = 0): Promise<string> {
  const g = await compile(req);
  const r: InjectRecipient = req.recipients[i]!;
  const [rendered] = await g.render(req.recipients, i);
  g.close();
  return (await g.build(r, rendered!)).data.toString('utf8');
}

const builder = (content: InjectV1Request['content'], extra: Partial<InjectV1Request> = {}): InjectV1Request => ({
  envelope_sender: 'bounces@example.com',
  recipients: [{ email: 'ann@example.net', name: 'Ann', substitutions: { code: 'A&B', who: 'recipient' } }],
  substitutions: { who: 'global', campaign: 'Fall' },
  content,
  ...extra,
});

describe('inject generation', () => {
  it('renders per recipient: globals, then email/name, then the recipient substitutions; HTML autoescaped, text not', async () => {
    const msg = await generate(builder({
      from: { email: 'news@example.com', name: 'News' },
      subject: '{{ campaign }} for {{ name }}',
      headers: { 'X-Who': '{{ who }} {{ email }}' },
      text_body: 'Hi {{ name }}: {{ code }}',
      html_body: '<p>Hi {{ name }}: {{ code }}</p>',
    }));
    assert.match(msg, /\r\nSubject: Fall for Ann\r\n/);
    assert.match(msg, /^X-Who: recipient ann@example\.net\r$/m);
    assert.match(msg, /^To: Ann <ann@example\.net>\r$/m);
    assert.match(msg, /^From: News <news@example\.com>\r$/m);
    assert.match(msg, /^Date: .+\r$/m);
    assert.match(msg, /^Message-ID: <[^>]+@example\.com>\r$/m);
    assert.match(msg, /^Content-Type: multipart\/alternative;/m);
    assert.match(msg, /Content-Type: text\/plain; charset=utf-8\r\n(?:.+\r\n)*\r\nHi Ann: A&B\r\n/);
    assert.match(msg, /Content-Type: text\/html; charset=utf-8\r\n(?:.+\r\n)*\r\n<p>Hi Ann: A&amp;B<\/p>\r\n/);
    assert.doesNotMatch(msg.replace(/\r\n/g, ''), /\n/, 'CRLF line endings only');
  });

  it('an inline part (content_id) goes in multipart/related with the HTML; an attachment is base64 with its file name', async () => {
    const msg = await generate(builder({
      html_body: '<img src="cid:logo">',
      text_body: 'text',
      attachments: [
        { data: GIF, base64: true, content_type: 'image/gif', content_id: 'logo', file_name: 'logo.gif' },
        { data: 'a,b\n1,2\n', content_type: 'text/csv', file_name: 'data.csv' },
      ],
    }));
    assert.match(msg, /^Content-Type: multipart\/mixed;/m);
    assert.match(msg, /Content-Type: multipart\/related; type="text\/html";/);
    assert.match(msg, /Content-Type: image\/gif; name=logo\.gif\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: inline; filename=logo\.gif\r\n\r\nR0lGODlhAQABAIAAAAAAAP\/\/\/yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n/);
    assert.match(msg, /Content-Type: text\/csv; name=data\.csv\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=data\.csv\r\n\r\nYSxiCjEsMgo=\r\n/);
  });

  it('headers of the request take the place of the builder\'s; non-ASCII words are RFC 2047-encoded', async () => {
    const msg = await generate(builder({
      from: { email: 'news@example.com', name: 'News' },
      subject: 'Grüße, {{ name }}',
      headers: { From: 'Other <other@example.com>', 'Message-ID': '<fixed@example.com>', 'MIME-Version': '9.9' },
      text_body: 'x',
    }, { recipients: [{ email: 'ann@example.net', name: 'Änne' }] }));
    const head = msg.slice(0, msg.indexOf('\r\n\r\n'));
    assert.deepEqual(head.match(/^From: .*$/gm), ['From: Other <other@example.com>']);
    assert.deepEqual(head.match(/^Message-ID: .*$/gm), ['Message-ID: <fixed@example.com>']);
    assert.deepEqual(head.match(/^MIME-Version: .*$/gm), ['MIME-Version: 1.0']);
    assert.match(head, /^Subject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe=2C_=C3=84nne\?=$/m);
    assert.match(head, /^To: =\?UTF-8\?Q\?=C3=84nne\?= <ann@example\.net>$/m);
  });

  it('a string message is the template as it is: CRLF line endings, Date and Message-ID added only when absent', async () => {
    const req = builder('From: news@example.com\nSubject: Hello {{ name }}\n\nLine one\rLine two\n');
    const msg = await generate(req);
    assert.match(msg, /^Date: .+\r\nMessage-ID: <[0-9a-f]+@example\.com>\r\nFrom: news@example\.com\r\nSubject: Hello Ann\r\n\r\nLine one\r\nLine two\r\n$/);
    const kept = await generate(builder('Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\nSubject: s\r\n\r\nbody\r\n'));
    assert.equal(kept, 'Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\nSubject: s\r\n\r\nbody\r\n');
    const stat = await generate(builder('Subject: {{ name }}\n\nbody', { template_dialect: 'Static' }));
    assert.match(stat, /\r\nSubject: \{\{ name \}\}\r\n/);
  });

  it('compiled templates are kept by source and kind: the same source autoescapes in HTML only, request after request', async () => {
    for (let i = 0; i < 2; i++) {
      const msg = await generate(builder({ text_body: '[{{ code }}]', html_body: '[{{ code }}]' }));
      assert.match(msg, /text\/plain; charset=utf-8\r\n(?:.+\r\n)*\r\n\[A&B\]\r\n/);
      assert.match(msg, /text\/html; charset=utf-8\r\n(?:.+\r\n)*\r\n\[A&amp;B\]\r\n/);
    }
    // a template that does not compile is refused every time
    for (let i = 0; i < 2; i++) await assert.rejects(compile(builder({ text_body: '{{ x ' })), TemplateError);
  });

  it('a template error names the part: at compile time and at render time', async () => {
    await assert.rejects(compile(builder({ text_body: 'ok', html_body: '<p>{{ name </p>' })), (e: unknown) => {
      assert.ok(e instanceof TemplateError);
      assert.equal(e.part, 'content/html_body');
      assert.match(e.message, /^content\/html_body: /);
      return true;
    });
    await assert.rejects(compile(builder({ text_body: 'ok', headers: { 'X-A': '{% if %}' } })), /content\/headers\/X-A: /);
    const g = await compile(builder({ text_body: '{{ nothing() }}' }));
    await assert.rejects(g.render([{ email: 'a@example.net' }], 0), /content\/text_body: .*nothing/);
  });

  it('templates see data, never JavaScript internals (no constructor, prototype or inherited method)', async () => {
    const msg = await generate(builder({
      text_body: [
        '[{{ range.constructor("return process")() if range.constructor else "no-constructor" }}]',
        '[{{ constructor }}][{{ name.constructor }}][{{ __proto__ }}][{{ name.toUpperCase }}]',
        '[{{ cycler.constructor }}][{{ name | upper }}][{{ code | length }}]',
        // own data stays reachable: a string's indexes and length
        '[{{ name[0] }}][{{ name.length }}]',
      ].join('\n'),
    }));
    assert.match(msg, /\[no-constructor\]\r\n\[\]\[\]\[\]\[\]\r\n\[\]\[ANN\]\[3\]\r\n\[A\]\[3\]/);
  });

  it('data cannot pass for keyword arguments: "__keywords" keys are dropped, at any depth', async () => {
    const req = builder({ text_body: '{% macro m(a, b="d") %}[{{ a.a }}|{{ b }}]{% endmacro %}{{ m(u) }}{{ m(u) }}{{ u.a }}{{ m(deep.x[0]) }}' }, {
      substitutions: { u: { __keywords: true, a: 'A', b: 'B' }, deep: { x: [{ __keywords: true, a: 'Z', b: 'Y' }] } },
    });
    const msg = await generate(req);
    // before, u filled the macro's parameters (a = "A", b = "B") and lost them: "[A|B][|B]"
    assert.match(msg, /\[A\|d\]\[A\|d\]A\[Z\|d\]/);
  });

  it('data cannot set a prototype: "__proto__" keys are dropped at any depth; an object of over 100,000 keys is refused', async () => {
    // JSON.parse (the API's parser) makes "__proto__" an own key, as a client can send it
    const req = builder({ text_body: '[{{ u | dump }}][{{ concat }}{{ push }}]' }, { substitutions: JSON.parse('{"__proto__": [], "u": {"__proto__": {"x": 1}, "a": 1}}') as Record<string, unknown> });
    assert.match(await generate(req), /\[\{"a":1\}\]\[\]/);
    const many = Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [`k${i}`, i]));
    await assert.rejects(compile(builder({ text_body: '{{ d | length }}' }, { recipients: [{ email: 'a@example.net', substitutions: { d: many } }] })),
      (e: unknown) => e instanceof InjectRequestError && /^recipients\/0\/substitutions: has an object of 100001 keys, more than 100000/.test(e.message));
  });

  it('a header value cannot break its line through a character whose low byte is CR or LF', async () => {
    // U+010D / U+010A: the header block was written as latin1, which keeps the low byte; the
    // composer leaves In-Reply-To, References and Content-ID unencoded
    const inj = 'abc@x\u010d\u010aBcc: hidden@evil.example\u010d\u010a\u010d\u010ainjected';
    const msg = await generate(builder({ text_body: 'real body', headers: { 'In-Reply-To': '{{ ref }}', References: inj } }, { recipients: [{ email: 'ann@example.net', substitutions: { ref: inj } }] }));
    assert.doesNotMatch(msg, /\r\nBcc:/);
    assert.match(msg, /^In-Reply-To: <abc@x\u010d\u010aBcc: hidden@evil\.example\u010d\u010a\u010d\u010ainjected>\r$/m);
    assert.match(msg, /\r\n\r\nreal body\r\n/);
    // other control characters become spaces
    assert.match(await generate(builder({ text_body: 'x', headers: { 'X-A': 'a\u0000b\u001bc' } })), /^X-A: a b c\r$/m);
  });

  it('one request cannot change how a later one compiles (an extension pushed through the render Context)', async () => {
    // round 7's chain: "__proto__": [] made Array methods bare names, concat() handed out the
    // Context, map() called push() on env.extensionsList, and the macro became a preprocess
    // hook that rewrote every later template after the syntax check
    const attack = builder({ text_body: '{% macro m(s) %}HACKED{% endmacro %}{% set c = concat()[0] %}{% set d = {"m": map, "length": 1, "0": {"preprocess": m}} %}{% set x = d.m(push, c.env.extensionsList) %}done' },
      { substitutions: JSON.parse('{"__proto__": []}') as Record<string, unknown> });
    await assert.rejects(generate(attack), TemplateError);
    const later = await generate(builder({ text_body: 'fresh {{ name }} {{ 40 + 2 }}' }));
    assert.match(later, /\r\n\r\nfresh Ann 42\r\n/);
  });

  it('checks what the schema cannot: addresses with a reason, base64 data, a body part', async () => {
    const bad = (req: InjectV1Request, field: RegExp) =>
      assert.rejects(compile(req), (e: unknown) => e instanceof InjectRequestError && field.test(e.message));
    await bad(builder({ text_body: 'x' }, { envelope_sender: 'nobody' }), /^envelope_sender: is not of the form user@domain/);
    await bad(builder({ text_body: 'x' }, { recipients: [{ email: 'ok@example.net' }, { email: 'bad@exa mple.net' }] }), /^recipients\/1\/email: has an invalid domain/);
    await bad(builder({ text_body: 'x', from: { email: 'a@@b' } }), /^content\/from\/email: /);
    await bad(builder({ text_body: 'x', attachments: [{ data: 'not base64!', base64: true, content_type: 'image/gif' }] }), /^content\/attachments\/0\/data: is not valid base64/);
    await bad(builder({ subject: 'only a subject' }), /^content: needs at least one of text_body and html_body/);
    // header fields built from request values: a line break would smuggle in a field of its own
    await bad(builder({ text_body: 'x' }, { trace_headers: { header_name: 'X-Ref\r\nX-Smuggled: 15' } }), /^trace_headers\/header_name: is not a header field name/);
    await bad(builder({ text_body: 'x' }, { trace_headers: { header_name: 'X Ref' } }), /^trace_headers\/header_name: /);
    await bad(builder({ text_body: 'x', attachments: [{ data: 'x', content_type: 'text/plain\r\nX-Smuggled: 1' }] }), /^content\/attachments\/0\/content_type: has a line break/);
    await bad(builder({ text_body: 'x', attachments: [{ data: 'x', content_type: 'text/plain' }, { data: 'x', content_type: 'image/gif', content_id: 'a\nb' }] }), /^content\/attachments\/1\/content_id: has a line break/);
    await bad(builder({ text_body: 'x', attachments: [{ data: 'x', content_type: 'text/plain', file_name: 'a\r.txt' }] }), /^content\/attachments\/0\/file_name: /);
    assert.equal(addressProblem('jöran@exämple.net'), undefined, 'UTF-8 addresses (SMTPUTF8) are allowed');
    assert.equal(addressProblem('"a b"@[127.0.0.1]'), undefined);
  });
});
