import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { AdminState } from '../../src/admin/admin-state.js';
import { selects } from '../../src/admin/rules.js';
import { ADMIN_STATE_FILE, readAdminState } from '../../src/admin/state-file.js';
import { createLogger, levelFromFilter } from '../../src/logging/logger.js';
import { applyRebindData } from '../../src/queue/admin-ops.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { tempTree } from '../helpers/tmp.js';

const trees: { cleanup(): void }[] = [];
after(() => trees.forEach((t) => t.cleanup()));

function setup() {
  const t = tempTree();
  trees.push(t);
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) });
  return { dir: t.dir, lines, make: () => new AdminState({ dir: t.dir, log }) };
}

test('rules are saved atomically before add/cancel resolve, reloaded at start, expired ones dropped at load', async () => {
  const { dir, lines, make } = setup();
  const a = make();
  await a.start();
  const b = await a.addBounce({ domain: 'Example.COM.', reason: 'bad send', expires: Date.now() + 60_000 });
  const s = await a.addSuspend({ tenant: 't1', reason: 'pause', expires: Date.now() + 60_000 });
  const gone = await a.addReadySuspend({ name: 'src->site@smtp_client', reason: 'short', expires: Date.now() + 60_000 });
  // on disk already, and only the final file (the temp file was renamed over it)
  assert.deepEqual(readAdminState(dir).map((r) => r.id).sort(), [b.id, s.id, gone.id].sort());
  assert.deepEqual(readdirSync(dir), [ADMIN_STATE_FILE]);
  assert.equal(b.domain, 'example.com');
  assert.ok(lines.some((l) => l.msg === 'admin: bounce added' && l.id === b.id && l.reason === 'bad send'));
  a.countBounced(b, 'example.com', 3);
  assert.equal((await a.cancel('suspend', gone.id)), undefined, 'wrong kind: not cancelled');
  assert.equal((await a.cancel('suspend-ready-q', gone.id))?.id, gone.id);
  await a.stop();
  // bounce counts are saved at stop
  const saved = readAdminState(dir);
  assert.deepEqual(saved.map((r) => r.id).sort(), [b.id, s.id].sort());
  assert.deepEqual((saved.find((r) => r.id === b.id) as { bounced: unknown }).bounced, { 'example.com': 3 });

  // an expired rule in the file is dropped at load (and the file rewritten without it)
  const data = JSON.parse(readFileSync(join(dir, ADMIN_STATE_FILE), 'utf8'));
  data.rules.find((r: { id: string }) => r.id === s.id).expires = Date.now() - 1;
  writeFileSync(join(dir, ADMIN_STATE_FILE), JSON.stringify(data));
  const a2 = make();
  await a2.start();
  assert.deepEqual(a2.list('bounce').map((r) => r.id), [b.id]);
  assert.deepEqual(a2.list('suspend'), []);
  assert.equal(a2.bounceFor({ name: 'example.com', domain: 'example.com' })?.id, b.id);
  assert.equal(a2.bounceFor({ name: 'other.com', domain: 'other.com' }), undefined);
  await a2.stop();
  assert.deepEqual(readAdminState(dir).map((r) => r.id), [b.id]);
});

test('a rule ends at its expiry with an "ended" event', async () => {
  const { make } = setup();
  const a = make();
  await a.start();
  const r = await a.addSuspend({ domain: 'x.test', reason: 'brief', expires: Date.now() + 300 });
  assert.equal(a.suspensionFor({ name: 'x.test', domain: 'x.test' })?.id, r.id);
  // the sweep timer is unref'd (it never keeps a server alive): hold the loop open meanwhile
  const hold = setTimeout(() => undefined, 10_000);
  const [ended, why] = await once(a, 'ended');
  clearTimeout(hold);
  assert.equal(ended.id, r.id);
  assert.equal(why, 'expired');
  assert.equal(a.suspensionFor({ name: 'x.test', domain: 'x.test' }), undefined);
  await a.stop();
});

test('a corrupt state file is an error at start, not silently emptied', async () => {
  const { dir, make } = setup();
  writeFileSync(join(dir, ADMIN_STATE_FILE), '{not json');
  await assert.rejects(make().start(), /not valid JSON/);
  assert.ok(existsSync(join(dir, ADMIN_STATE_FILE)));
});

test('a state file that cannot be read (not ENOENT) is an error at start, not an empty state', async () => {
  const { dir, make } = setup();
  mkdirSync(join(dir, ADMIN_STATE_FILE));
  await assert.rejects(make().start(), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});

test('selectors: domain, routing domain, tenant, campaign, exact queue names', () => {
  const q = { name: 'c1:t1@a.test!r.test', domain: 'a.test', routingDomain: 'r.test', tenant: 't1', campaign: 'c1' };
  assert.ok(selects({}, q));
  assert.ok(selects({ domain: 'A.test' }, q));
  assert.ok(selects({ routing_domain: 'r.test', tenant: 't1' }, q));
  assert.ok(!selects({ routing_domain: 'a.test' }, q));
  assert.ok(selects({ routing_domain: 'a.test' }, { name: 'a.test', domain: 'a.test' }), 'no routing domain: routed by its own domain');
  assert.ok(!selects({ campaign: 'c2' }, q));
  assert.ok(selects({ queue_names: ['c1:t1@a.test!r.test'], domain: 'zzz' }, q), 'queue_names take precedence');
  assert.ok(!selects({ queue_names: ['a.test'] }, q));
});

test('KumoMTA diagnostic filters map to a process log level', () => {
  assert.equal(levelFromFilter('info'), 'info');
  assert.equal(levelFromFilter('kumod=trace'), 'debug');
  assert.equal(levelFromFilter('warn,kumod=debug'), 'debug');
  assert.equal(levelFromFilter('kumo_server_common=debug,error'), 'error');
  assert.equal(levelFromFilter('nonsense'), undefined);
  const lines: string[] = [];
  const root = createLogger({ level: 'info', out: (l) => lines.push(l) });
  const child = root.child({ subsystem: 'x' });
  child.debug('hidden');
  child.setLevel?.('debug');
  root.debug('shown');
  child.debug('shown too');
  assert.equal(lines.length, 2);
});

test('rebind data: routing_domain, tenant, campaign, queue names and other metadata', () => {
  const meta = (): SpoolMeta => ({ id: 'x', sender: '', recipients: [{ address: 'u@a.test', status: 'pending' }], receivedAt: 0, size: 1, reception: { protocol: 'ESMTP' }, attempts: 0, due: 0 });
  const m = meta();
  applyRebindData(m, { routing_domain: 'R.test', tenant: 't2', campaign: 'c2', color: 'blue' });
  assert.deepEqual([m.tenant, m.campaign, m.extra?.routing_domain, m.extra?.meta], ['t2', 'c2', 'r.test', { color: 'blue' }]);
  const q = meta();
  applyRebindData(q, { queue: 'camp:Ten@b.test' });
  assert.deepEqual([q.tenant, q.campaign, q.extra?.routing_domain], ['Ten', 'camp', 'b.test']);
  const same = meta();
  applyRebindData(same, { queue: 'a.test' });
  assert.equal(same.extra?.routing_domain, undefined, 'its own domain: no routing override');
});

test('a saved rule whose expiry is no date is dropped at load with a warning; the others load', async () => {
  const { dir, lines, make } = setup();
  const good = { kind: 'suspend', id: 'ok-1', created: Date.now(), domain: 'a.example', reason: 'r', expires: Date.now() + 60_000 };
  const bad = { kind: 'suspend', id: 'bad-1', created: Date.now(), domain: 'b.example', reason: 'r', expires: 8640001796167057000 };
  writeFileSync(join(dir, ADMIN_STATE_FILE), JSON.stringify({ version: 1, rules: [good, bad, { ...bad, id: 'bad-2', expires: null }] }));
  const a = make();
  await a.start();
  try {
    assert.deepEqual(a.list('suspend').map((r) => r.id), ['ok-1']);
    assert.deepEqual(lines.filter((l) => /no valid expiry/.test(String(l.msg))).map((l) => l.id), ['bad-1', 'bad-2']);
    assert.deepEqual(readAdminState(dir).map((r) => r.id), ['ok-1'], 'the file is rewritten without them');
  } finally {
    await a.stop();
  }
});
