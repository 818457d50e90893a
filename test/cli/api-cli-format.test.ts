// Unit-level checks of the API CLI: endpoint resolution, selectors, tables, the top screen and
// the client's auth and error messages (against a local fastify stand-in for routes; the
// end-to-end tests against `kumo-ts serve` are in api-commands.test.ts and top-tmux.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { ApiClient, ApiConnectError, ApiRefusedError, UsageError, describeErrorBody, normalizeEndpoint } from '../../src/cli/api-client.js';
import { authFrom, endpointFromConfig } from '../../src/cli/api-options.js';
import { parseRebindData } from '../../src/cli/admin-commands.js';
import { formatQueueSummary } from '../../src/cli/queue-commands.js';
import { selectedCount, selectorFrom } from '../../src/cli/queue-select.js';
import { age } from '../../src/cli/table.js';
import { ratesBetween, topElement, topLines } from '../../src/cli/top-view.js';
import type { TopSample } from '../../src/cli/top-view.js';
import type { QueueSummaryV1 } from '../../src/cli/api-types.js';
import { progressLine } from '../../src/cli/progress.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';

const summary = (delivered = 0, extra: Partial<QueueSummaryV1> = {}): QueueSummaryV1 => ({
  scheduled: [
    { name: 'small.test', domain: 'small.test', count: 3, oldest_age_s: 5, suspended: null, bounce: null },
    { name: 'c1:t1@big.test', domain: 'big.test', tenant: 't1', campaign: 'c1', count: 1200, oldest_age_s: 3700, suspended: { id: 's1', reason: 'block', expires: new Date(Date.now() + 600_000).toISOString() }, bounce: null },
    { name: 'big.test!relay.test', domain: 'big.test', count: 7, oldest_age_s: 1, suspended: null, bounce: null },
  ],
  ready: [{ name: 'unspecified->mx.big.test', source: 'unspecified', site: 'mx.big.test', count: 4, connections: 2, suspended: null }],
  totals: { scheduled: 1210, ready: 4, received_total: 2000, delivered_total: delivered, transient_total: 10, failed_total: 1 },
  ...extra,
});

test('endpoints: normalized from host:port or URL; from the config main file, else the default', (t) => {
  assert.equal(normalizeEndpoint('127.0.0.1:8000'), 'http://127.0.0.1:8000');
  assert.equal(normalizeEndpoint('https://[::1]:9443/'), 'https://[::1]:9443');
  assert.throws(() => normalizeEndpoint('ftp://x'), /only http and https/);
  const tree = tempTree();
  t.after(() => tree.cleanup());
  tree.write('a/kumo.toml', '[http]\nlisten = "0.0.0.0:8123"\n');
  assert.equal(endpointFromConfig(`${tree.dir}/a`), 'http://127.0.0.1:8123');
  tree.write('b/kumo.yaml', 'http:\n  listen: "[::]:8124"\n  tls: {}\n');
  assert.equal(endpointFromConfig(`${tree.dir}/b`), 'https://[::1]:8124');
  tree.write('c/kumo.json', '{"http": {"enabled": false, "listener": {"off": {"listen": "127.0.0.4:1", "enabled": false}, "admin": {"listen": "127.0.0.5:8125"}}}}');
  assert.equal(endpointFromConfig(`${tree.dir}/c`), 'http://127.0.0.5:8125');
  tree.write('d/kumo.toml', '[spool]\npath = "x"\n');
  assert.equal(endpointFromConfig(`${tree.dir}/d`), 'http://127.0.0.1:8000');
  tree.write('e/kumo.toml', '[http]\ntls = { certificate = "c.pem" }\n');
  assert.equal(endpointFromConfig(`${tree.dir}/e`), 'https://127.0.0.1:8000');
  assert.equal(endpointFromConfig(`${tree.dir}/missing`), undefined);
  // [http] off and no enabled named listener: the config names no API address
  tree.write('f/kumo.toml', '[http]\nenabled = false\n[http.listener.off]\nlisten = "127.0.0.6:1"\nenabled = false\n');
  assert.equal(endpointFromConfig(`${tree.dir}/f`), undefined);
  assert.throws(() => normalizeEndpoint('http://[not-an-address'), (e: Error) => e instanceof UsageError && e.message === 'invalid --endpoint "http://[not-an-address" (expected http://HOST:PORT or https://HOST:PORT)');
});

test('auth options: basic, bearer (also from the environment), conflicts are usage errors', () => {
  assert.deepEqual(authFrom({ user: 'u', password: 'p' }), { kind: 'basic', user: 'u', password: 'p' });
  assert.deepEqual(authFrom({ token: 't' }), { kind: 'bearer', token: 't' });
  process.env.KUMO_TS_API_TOKEN = 'from-env';
  try {
    assert.deepEqual(authFrom({}), { kind: 'bearer', token: 'from-env' });
  } finally {
    delete process.env.KUMO_TS_API_TOKEN;
  }
  assert.throws(() => authFrom({ user: 'u' }), (e: Error & { exitCode?: number }) => e.exitCode === 2);
  assert.throws(() => authFrom({ user: 'u', password: 'p', token: 't' }), /not both/);
});

test('selectors: one criterion or --everything; the summary count they select', () => {
  assert.throws(() => selectorFrom({}, 'bounce'), /--everything/);
  assert.throws(() => selectorFrom({ domain: 'a', everything: true }, 'bounce'), /cannot be combined/);
  assert.deepEqual(selectorFrom({ everything: true }, 'bounce'), {});
  const s = summary();
  assert.equal(selectedCount({ domain: 'BIG.test' }, s), 1207);
  assert.equal(selectedCount({ domain: 'big.test', tenant: 't1' }, s), 1200);
  assert.equal(selectedCount({ routing_domain: 'relay.test' }, s), 7);
  assert.equal(selectedCount({ routing_domain: 'small.test' }, s), 3);
  assert.equal(selectedCount({ queue_names: ['small.test'] }, s), 3);
  assert.equal(selectedCount({}, s), 1210);
});

test('rebind data: key=value pairs and JSON objects of strings', () => {
  assert.deepEqual(parseRebindData(['routing_domain=b.test', 'queue=x=y', '{"tenant":"t2"}']), { routing_domain: 'b.test', queue: 'x=y', tenant: 't2' });
  assert.throws(() => parseRebindData(['novalue']), /key=value/);
  assert.throws(() => parseRebindData(['{"n": 1}']), /must be a string/);
  assert.throws(() => parseRebindData(['{"tenant": t2}']), (e: Error) => e instanceof UsageError && /^--data \{"tenant": t2\}: not JSON: /.test(e.message));
});

test('queue-summary table: largest first, ages, state, totals', () => {
  const out = formatQueueSummary(summary(42));
  const lines = out.split('\n');
  const iBig = lines.findIndex((l) => l.startsWith('c1:t1@big.test'));
  const iSmall = lines.findIndex((l) => l.startsWith('small.test'));
  assert.ok(iBig > 0 && iBig < iSmall, out);
  assert.match(lines[iBig], /1,200\s+1h1m\s+suspended \(\d+m\d*s?: block\)/);
  assert.match(out, /unspecified->mx\.big\.test\s+4\s+2\s+-/);
  assert.match(out, /delivered 42, transient 10, failed 1/);
  assert.equal(age(59), '59s');
  assert.equal(age(86400 + 7200), '1d2h');
});

test('top: rates from successive samples, fits the terminal, shows disconnection and rules', async () => {
  const prev: TopSample = { at: 1_000, summary: summary(100) };
  const last: TopSample = {
    at: 3_000, summary: summary(160), epoch: 7,
    bounces: [{ id: 'b-1', domain: 'bad.test', reason: 'bad send', duration: '4m', total_bounced: 12 }],
    readySuspends: [{ id: 'r-1', name: 'unspecified->mx.big.test', reason: 'maintenance', duration: '9m', expires: new Date(3_000 + 540_000).toISOString() }],
  };
  assert.equal(ratesBetween(prev, last).delivered, 30);
  // a restarted server's counters start again: no negative rate
  assert.equal(ratesBetween(last, { at: 4_000, summary: summary(0) }).delivered, undefined);
  const lines = topLines({ endpoint: 'http://127.0.0.1:1', connected: true, prev, last, now: 3_000 }, 100, 40);
  const text = lines.map((l) => l.text).join('\n');
  assert.ok(lines.every((l) => l.text.length <= 100));
  assert.match(text, /epoch 7/);
  assert.match(text, /delivered 30\.0/);
  assert.match(text, /c1:t1@big\.test\s+1,200\s+1h1m\s+suspended/);
  assert.match(text, /unspecified->mx\.big\.test\s+4\s+2/);
  assert.match(text, /bouncing\s+domain=bad\.test .*12 bounced: bad send/);
  assert.match(text, /suspended\s+ready-q=unspecified->mx\.big\.test\s+9m left: maintenance/);
  // a small terminal keeps the largest queues and says how many more there are
  const small = topLines({ endpoint: 'e', connected: true, prev, last, now: 3_000 }, 60, 12);
  assert.equal(small.length, 12);
  assert.match(small.map((l) => l.text).join('\n'), /c1:t1@big\.test/);
  assert.match(small.map((l) => l.text).join('\n'), /scheduled queues: 3, largest \d shown/);
  const down = topLines({ endpoint: 'e', connected: false, error: 'connection refused', last, now: 8_000 }, 80, 30);
  assert.match(down[1].text, /^disconnected: connection refused; retrying each second \(data from 5s ago\)/);

  // the ink element renders those lines
  const [React, ink] = await Promise.all([import('react'), import('ink')]);
  const drawn = ink.renderToString(topElement(lines, React, ink), { columns: 100 });
  assert.match(drawn, /c1:t1@big\.test\s+1,200/);
});

test('progress line: a bar with counts when the total is known, a spinner with elapsed time otherwise', () => {
  const bar = progressLine({ label: 'bouncing', startedAt: 0, now: 2_500, done: 50, total: 200 }, 80);
  assert.match(bar.bar!, /^█+░+$/);
  assert.match(bar.text, / 50\/200 25% 2\.5s$/);
  const spin = progressLine({ label: 'bouncing', startedAt: 0, now: 1_200 }, 80);
  assert.equal(spin.bar, undefined);
  assert.match(spin.text, /working… 1\.2s/);
  assert.equal(progressLine({ label: 'bouncing', startedAt: 0, now: 1_200, finished: 'failed' }, 80).spinner, '✖');
});

test('client: sends Basic and Bearer credentials; errors name the endpoint and the server message', async (t) => {
  const app = Fastify();
  const seen: (string | undefined)[] = [];
  app.get('/api/admin/queue-summary/v1', async (req) => {
    seen.push(req.headers.authorization);
    return summary();
  });
  app.post('/api/admin/bounce/v1', async (_req, reply) => reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: "body must have required property 'reason'" }));
  app.get('/api/admin/bounce/v1', async (_req, reply) => reply.type('text/plain').send('not json'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const basic = new ApiClient({ endpoint: base, auth: { kind: 'basic', user: 'ops', password: 's3cret' } });
  const bearer = new ApiClient({ endpoint: base, auth: { kind: 'bearer', token: 'tok' } });
  t.after(() => Promise.all([basic.close(), bearer.close()]));
  assert.equal((await basic.queueSummary()).totals.scheduled, 1210);
  await bearer.queueSummary();
  assert.deepEqual(seen, [`Basic ${Buffer.from('ops:s3cret').toString('base64')}`, 'Bearer tok']);
  await assert.rejects(basic.bounce({ reason: '' }), (e: ApiRefusedError) => {
    assert.ok(e instanceof ApiRefusedError);
    assert.equal(e.exitCode, 1);
    assert.equal(e.message, `POST ${base}/api/admin/bounce/v1: 400 Bad Request: body must have required property 'reason'`);
    return true;
  });
  await assert.rejects(basic.bounceList(), /the answer is not JSON: not json/);
  const closed = await freePort();
  const gone = new ApiClient({ endpoint: `127.0.0.1:${closed}` });
  t.after(() => gone.close());
  await assert.rejects(gone.queueSummary(), (e: ApiConnectError) => e instanceof ApiConnectError && e.exitCode === 3 && e.message.includes(`127.0.0.1:${closed}`) && /connection refused/.test(e.message));
  assert.equal(describeErrorBody({ message: 'm', errors: ['e1'] }, ''), 'm: e1');
  // a JSON error body without any of the usual fields is shown as it came
  assert.equal(describeErrorBody({ code: 7, detail: null }, '{"code":7,"detail":null}'), '{"code":7,"detail":null}');
  assert.throws(() => new ApiClient({ endpoint: base, caFile: '/nonexistent/ca.pem' }), (e: Error) => e instanceof UsageError && /^cannot read --ca \/nonexistent\/ca\.pem: ENOENT/.test(e.message));
});
