// End to end: POST /api/inject/v1 to a real `kumo-ts serve`, undici as the client, delivered
// over SMTP to `kumo-ts sink --maildir`. Generated messages take the reception path of SMTP
// mail: tenant/campaign headers read and removed, a Received header naming the HTTP peer,
// DKIM (verified here with mailauth against the server's static zone), the spool, Reception records.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'undici';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import type { StaticZone } from '../../src/dns/static-resolver.js';
import { rsaTestKey } from '../dkim/helpers.js';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { spooledCount } from '../helpers/spool-peek.js';
import { tempTree } from '../helpers/tmp.js';
import { readRecords, waitUntil } from '../queue/lab.js';

const GIF = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

function maildirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    const d = join(dir, sub);
    if (existsSync(d)) for (const f of readdirSync(d)) out.push(join(d, f));
  }
  return out;
}

function zoneToml(zone: StaticZone): string {
  return Object.entries(zone).map(([name, recs]) => `["${name}"]\n` + Object.entries(recs).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')).join('\n\n') + '\n';
}

const httpPortOf = (base: string) => Number(new URL(base).port);

/**
 * Announces a JSON body of `total` bytes over a raw socket and sends none of it: a server that
 * enforces its limit answers from the Content-Length, before reading (one that waited for the
 * body would time this test out). No body bytes, so a server closing right after its answer
 * cannot reset the connection over unread data and lose that answer.
 */
function postHuge(port: number, total: number): Promise<{ status: number; response: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let response = '';
    sock.on('connect', () => {
      sock.write(`POST /api/inject/v1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`);
    });
    sock.on('data', (d) => {
      response += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}/.test(response)) sock.destroy();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
      if (m) resolve({ status: Number(m[1]), response });
      else reject(new Error(`no HTTP answer to an announced ${total}-byte body`));
    });
  });
}

describe('inject v1 end to end: HTTP in, sink out', { timeout: 240_000 }, () => {
  const tree = tempTree({}, 'kumo-inject-e2e-');
  const spool = join(tree.dir, 'spool');
  const logs = join(tree.dir, 'logs');
  const maildir = join(tree.dir, 'maildir');
  let zone: StaticZone;
  let server: ServerProcess;
  let sink: ServerProcess;
  let base = '';

  before(async () => {
    const key = rsaTestKey();
    zone = { 'k1._domainkey.example.com': { txt: [key.txt] } };
    sink = startKumo(['sink', '--listen', '127.0.0.1:0', '--maildir', maildir, '--json'], { cwd: tree.dir });
    const listening = await sink.waitFor((l) => l.event === 'listening', 20_000, 'sink listening');
    const httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    tree.write('config/kumo.toml', `
hostname = "kumo.inject.test"
[server]
smtp = false
[http]
listen = "127.0.0.1:${httpPort}"
max_message_size = "1MB"
# the step limit, not the clock, is what the loop test meets (a loaded box renders slowly)
template_timeout = "10s"
[spool]
path = ${JSON.stringify(spool)}
[logs]
path = ${JSON.stringify(logs)}
compress = false
[dns]
mode = "static"
zone_file = "zone.toml"
`);
    tree.write('config/zone.toml', zoneToml(zone));
    tree.write('config/queues.toml', `tenant_header = "X-Tenant"\ncampaign_header = "X-Campaign"\n[queue.default]\nmx_list = ["127.0.0.1:${String(listening.port)}"]\nretry_interval = "1s"\n`);
    tree.write('config/keys/k1.pem', key.pem);
    tree.write('config/dkim.toml', `[domain."example.com"]\nselector = "k1"\nfilename = "keys/k1.pem"\n`);
    server = startKumo(['serve', '--config', join(tree.dir, 'config')], { cwd: tree.dir });
    await server.waitFor((l) => l.msg === 'kumo-ts ready', 30_000, 'kumo-ts ready');
  });

  after(async () => {
    await server?.stop();
    await sink?.stop();
    tree.cleanup();
  });

  const post = async (body: unknown) => {
    const r = await request(`${base}/api/inject/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await r.body.text();
    return { status: r.statusCode, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } })() };
  };

  const good = (n: number, from = 0) => ({
    envelope_sender: 'bounces@example.com',
    substitutions: { campaign_title: 'Fall Sale', campaign_id: 'fall-2026' },
    recipients: Array.from({ length: n }, (_, k) => ({ email: `user${from + k}@example.net`, name: `User ${from + k}`, substitutions: { code: `A&B-${from + k}` } })),
    content: {
      from: { email: 'news@example.com', name: 'Example News' },
      subject: '{{ campaign_title }} for {{ name }}',
      headers: { 'X-Tenant': 'acme', 'X-Campaign': '{{ campaign_id }}', 'X-Rcpt': '{{ email }}' },
      text_body: 'Hello {{ name }},\nyour code is {{ code }}.\n',
      html_body: '<p>Hello {{ name }}, your code is <b>{{ code }}</b>.</p>',
      attachments: [{ data: GIF, base64: true, content_type: 'image/gif', file_name: 'pixel.gif' }],
    },
  });

  it('bad requests get 4xx naming the problem, nothing is spooled, and the server keeps serving', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['missing field', { envelope_sender: 'a@example.com', content: 'Subject: x\n\nx' }, 400, /recipients/],
      ['wrong type', { ...good(1), recipients: 'user@example.net' }, 400, /recipients.*must be array/],
      ['wrong type, nested', { ...good(1), content: { ...good(1).content, text_body: 5 } }, 400, /content\/text_body.*must be string/],
      ['bad address', { ...good(2), recipients: [{ email: 'ok@example.net' }, { email: 'not an address' }] }, 400, /recipients\/1\/email/],
      ['bad sender', { ...good(1), envelope_sender: 'bounces@@example.com' }, 400, /envelope_sender/],
      ['unknown field', { ...good(1), colour: 'blue' }, 400, /body\/colour is not a known field/],
      ['template error', { ...good(3), content: { ...good(1).content, html_body: '<p>{{ name </p>' } }, 400, /body\/content\/html_body: template error: /],
      ['not JSON', '{"envelope_sender": ', 400, /JSON|Unexpected|body/i],
      // templates are held to a budget per rendering (max_message_size = 1MB here)
      ['a string doubled in a template', { ...good(20), content: { ...good(1).content, text_body: '{% set s = "xxxxxxxx" %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s }}' } }, 400,
        /^body\/content\/text_body: template error: makes a value of more than 1048576 characters/],
      ['a template loop without end', { ...good(2), content: { ...good(1).content, subject: '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}' } }, 400,
        /^body\/content\/subject: template error: takes more than 5000000 steps/],
      ['a regular-expression literal', { ...good(1), content: { ...good(1).content, html_body: '{{ name | replace(r/(a+)+$/, "x") }}' } }, 400,
        /^body\/content\/html_body: template error: regular expression literals/],
      ['a message over max_message_size', { ...good(3), content: `Subject: big\n\n${'x'.repeat(1024 * 1024)}\n` }, 413,
        /^body\/recipients\/0: the message would be about \d+ bytes, over the limit of 1048576 bytes \(the HTTP listener's max_message_size\)/],
    ];
    for (const [what, body, status, re] of cases) {
      const r = await post(body);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.match(String(r.json?.message ?? r.text), re, `${what}: ${r.text}`);
      assert.equal(spooledCount(spool), 0, `${what}: nothing spooled`);
    }

    // 200 MB: refused from its Content-Length, before it is read (413 naming the limit)
    const big = await postHuge(httpPortOf(base), 200 * 1024 * 1024);
    assert.equal(big.status, 413, big.response);
    assert.match(big.response, /"error":"payload_too_large".*max_body_size/);
    assert.equal(spooledCount(spool), 0, 'nothing spooled after the large body');

    // still serving: a good request is spooled and answered as KumoMTA does
    const ok = await post({ envelope_sender: 'bounces@example.com', content: 'From: news@example.com\nSubject: after the bad ones\n\nstill here\n', recipients: [{ email: 'after@example.net' }] });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { success_count: 1, fail_count: 0, failed_recipients: [], errors: [] });
  });

  it('a client that disconnects while its request is being rendered gets nothing spooled', async () => {
    // each recipient's subject takes ~100 ms to render: the request outlives its client
    const slow = { ...good(20, 5000), content: { ...good(1).content, subject: '{% for i in range(100000) %}{% endfor %}slow {{ name }}' } };
    // the previous test's last message leaves the spool once delivered: counted from empty
    await waitUntil(() => spooledCount(spool) === 0, 20_000, 'the spool empty before the request');
    const before = spooledCount(spool);
    const ac = new AbortController();
    const pending = request(`${base}/api/inject/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(slow), signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(pending, /abort/i);
    const line = await server.waitFor((l) => /^inject: the client went away/.test(String(l.msg)), 20_000, 'the client-gone warning');
    assert.match(String(line.msg), /before anything was spooled; nothing was/);
    assert.equal(line.recipients, 20);
    assert.equal(spooledCount(spool), before, 'nothing spooled for the request whose client left');
    // the server keeps serving
    const ok = await post({ envelope_sender: 'bounces@example.com', content: 'Subject: after a client left\n\nstill here\n', recipients: [{ email: 'after-gone@example.net' }] });
    assert.equal(ok.status, 200, ok.text);
  });

  it('1,000 recipients in 10 requests arrive rendered per recipient, DKIM-signed, with Reception records carrying tenant and campaign', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, k) => post(good(100, k * 100))));
    for (const a of answers) assert.deepEqual(a.json, { success_count: 100, fail_count: 0, failed_recipients: [], errors: [] }, a.text);

    // the messages of this test, by recipient (files are read once each)
    const byRcpt = new Map<string, Buffer>();
    const seen = new Set<string>();
    const collect = () => {
      for (const f of maildirFiles(maildir)) {
        if (seen.has(f)) continue;
        seen.add(f);
        const m = readFileSync(f);
        const rcpt = /^To: "?User \d+"? <(user\d+@example\.net)>\r$/m.exec(m.toString('latin1'))?.[1];
        if (rcpt) byRcpt.set(rcpt, m);
      }
      return byRcpt.size >= 1000;
    };
    await waitUntil(collect, 120_000, '1,000 messages in the sink maildir');
    assert.equal(byRcpt.size, 1000, 'one message per recipient');
    const resolver = new StaticResolver(zone);
    for (let i = 0; i < 1000; i++) {
      const m = byRcpt.get(`user${i}@example.net`);
      assert.ok(m, `user${i} got a message`);
      const s = m.toString('utf8');
      assert.match(s, new RegExp(`\\r\\nSubject: Fall Sale for User ${i}\\r\\n`));
      assert.match(s, new RegExp(`\\r\\nX-Rcpt: user${i}@example\\.net\\r\\n`));
      assert.match(s, new RegExp(`\\r\\n\\r\\nHello User ${i},\\r\\nyour code is A&B-${i}\\.\\r\\n`), 'text part, not escaped');
      assert.match(s, new RegExp(`<p>Hello User ${i}, your code is <b>A&amp;B-${i}</b>\\.</p>`), 'HTML part, escaped');
      assert.match(s, /Content-Type: multipart\/alternative;/);
      assert.match(s, /Content-Disposition: attachment; filename=pixel\.gif\r\n\r\nR0lGODlhAQABAIAAAAAAAP\/\/\/yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n/);
      assert.match(s, /^Received: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)\r\n\tby kumo\.inject\.test \(kumo-ts\) with HTTP\r\n/m, 'a Received header names the HTTP peer');
      assert.doesNotMatch(s, /^X-(Tenant|Campaign):/im, 'tenant and campaign headers are read and removed');
      const dkim = await verifyDkim(m, resolver);
      assert.deepEqual(dkim.map((d) => [d.domain, d.selector, d.result]), [['example.com', 'k1', 'pass']], `user${i}: DKIM`);
    }

    const receptions = readRecords(logs).filter((r) => r.type === 'Reception' && /^user\d+@example\.net$/.test(String(r.recipient)));
    assert.equal(receptions.length, 1000);
    for (const r of receptions) {
      assert.equal(r.reception_protocol, 'HTTP');
      assert.deepEqual(r.peer_address, { name: '', addr: '127.0.0.1' });
      assert.equal((r.meta as Record<string, unknown>).tenant, 'acme');
      assert.equal((r.meta as Record<string, unknown>).campaign, 'fall-2026');
      assert.equal(r.sender, 'bounces@example.com');
    }
    // the reception latency histogram counts injected messages too (protocol HTTP)
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const count = Number(/^kumo_ts_reception_latency_seconds_count\{protocol="HTTP"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    assert.ok(count >= 1000, `kumo_ts_reception_latency_seconds_count{protocol="HTTP"} = ${count}`);
  });
});
