import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/config/snapshot.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { AutomationState } from '../../src/shaping/automation-state.js';
import type { AutomationEntry } from '../../src/shaping/automation-state.js';
import { explainShaping } from '../../src/shaping/explain.js';
import { LocalShapingGate } from '../../src/shaping/gate.js';
import type { PathInfo } from '../../src/shaping/gate.js';
import { resolveShaping } from '../../src/shaping/resolve.js';
import { cleanupTrees, snapshotOf, YAHOO_MX } from './helpers.js';

const SHAPING = `
["default"]
connection_limit = 10
max_message_rate = "100/s"

[[default.automation]]
regex = ["Server busy", "rate limited from \\\\d+\\\\.\\\\d+"]
action = [{SetConfig = {name = "max_message_rate", value = "1/minute"}}, {SetConfig = {name = "connection_limit", value = 1}}]
duration = "90m"

[provider."yahoo"]
match = [{MXSuffix = ".yahoodns.net"}]

[[provider."yahoo".automation]]
regex = '\\[TSS04\\]'
action = "Suspend"
duration = "2 hours"

[[provider."yahoo".automation]]
regex = "RL0000"
action = {SetConfig = {name = "max_connection_rate", value = "10000/h"}}
trigger = {Threshold = "3/hr"}
duration = "2 hours"

[[provider."yahoo".automation]]
regex = "tenant spam"
action = ["SuspendTenant", {SetDomainConfig = {name = "max_deliveries_per_connection", value = 2}}]
duration = "5 minutes"

[[provider."yahoo".automation]]
regex = "user unknown forever"
action = "BounceCampaign"
duration = "10 minutes"

[[provider."yahoo".automation]]
regex = "connection refused"
match_internal = true
action = "Suspend"
duration = "1m"
`;

const SITE = '(mta5|mta6|mta7).am0.yahoodns.net';
const HOSTS = ['mta5.am0.yahoodns.net', 'mta6.am0.yahoodns.net', 'mta7.am0.yahoodns.net'];
const path = (o: Partial<PathInfo> = {}): PathInfo => ({ domain: 'yahoo.com', site: SITE, mxHosts: HOSTS, source: 'ip-1', ...o });

describe('automation in process', () => {
  let snap: Snapshot;
  let dir: string;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) });
  const store = new ConfigStore();
  before(async () => {
    snap = await snapshotOf({ 'shaping.toml': SHAPING }, { 'yahoo.com': { mx: YAHOO_MX } });
    store.swap(snap);
    dir = mkdtempSync(join(tmpdir(), 'kumo-ts-auto-'));
  });
  after(() => {
    cleanupTrees();
    rmSync(dir, { recursive: true, force: true });
  });
  const newGate = (file = 'state.json') => {
    const state = AutomationState.load(join(dir, file), log);
    return { gate: new LocalShapingGate(store, log, state), state };
  };

  test('Immediate Suspend: a matching 421 suspends the path for the duration; others are untouched', async () => {
    const { gate } = newGate('suspend.json');
    const t0 = Date.now();
    gate.onResponse(path(), { code: 421, enhanced: '4.7.0', text: '[TSS04] Messages from 192.0.2.1 temporarily deferred' });
    const until = gate.suspendedUntil(path());
    assert.ok(until && until >= t0 + 2 * 3600_000 - 1000 && until <= Date.now() + 2 * 3600_000);
    const conn = await gate.acquireConnection(path(), resolveShaping(snap, path()));
    assert.ok('waitMs' in conn && conn.waitMs > 0, 'no connection while suspended');
    assert.equal(gate.suspendedUntil(path({ source: 'ip-2' })), undefined, 'another source is not suspended');
    gate.onResponse(path({ source: 'ip-3' }), { code: 250, text: 'ok' });
    assert.equal(gate.suspendedUntil(path({ source: 'ip-3' })), undefined);
    assert.ok(lines.some((l) => l.msg === 'shaping automation: rule fired' && l.action === 'Suspend' && l.source === 'ip-1'));
    await gate.close();
  });

  test('internal responses only match rules with match_internal', async () => {
    const { gate } = newGate('internal.json');
    gate.onResponse(path(), { code: 421, text: '[TSS04] made up', internal: true });
    assert.equal(gate.suspendedUntil(path()), undefined);
    gate.onResponse(path(), { code: 451, text: 'connection refused', internal: true });
    assert.ok(gate.suspendedUntil(path()));
    await gate.close();
  });

  test('a Threshold rule fires only after N matches on the same path', async () => {
    const { gate, state } = newGate('threshold.json');
    const r = { code: 421, text: 'RL000001 too many connections' };
    gate.onResponse(path(), r);
    gate.onResponse(path({ source: 'ip-2' }), r); // another path: counted apart
    gate.onResponse(path(), r);
    assert.equal(resolveShaping(snap, path(), state).max_connection_rate, undefined, 'two matches: nothing yet');
    gate.onResponse(path(), r);
    assert.equal(resolveShaping(snap, path(), state).max_connection_rate?.spec, '10000/h', 'third match fires');
    assert.equal(resolveShaping(snap, path({ source: 'ip-2' }), state).max_connection_rate, undefined);
    await gate.close();
  });

  test('SetConfig overrides what resolveShaping returns, scoped like KumoMTA; explain shows it', async () => {
    const { gate, state } = newGate('setconfig.json');
    assert.equal(resolveShaping(snap, path(), state).connection_limit, 10);
    gate.onResponse(path(), { code: 421, text: 'Server busy. Please try again later' });
    const s = resolveShaping(snap, path(), state);
    assert.equal(s.connection_limit, 1);
    assert.equal(s.max_message_rate?.spec, '1/minute');
    // a default-block rule rolls up: the whole site for this source, any domain on it
    assert.equal(resolveShaping(snap, path({ domain: 'ymail.com' }), state).connection_limit, 1);
    assert.equal(resolveShaping(snap, path({ source: 'ip-2' }), state).connection_limit, 10);
    const ex = explainShaping(snap, path(), state);
    const cl = ex.values.find((v) => v.name === 'connection_limit')!;
    assert.equal(cl.block, 'automation');
    assert.equal(cl.automation?.action, 'SetConfig');
    assert.equal(ex.overrides.length, 2);
    // after the duration the override is gone
    assert.equal(state.overridesFor('ip-1', SITE, 'yahoo.com', Date.now() + 91 * 60_000).length, 0);
    await gate.close();
  });

  test('a ready queue asks with one query object: an override that comes later still changes what it gets', async () => {
    const { gate, state } = newGate('same-query.json');
    const q = path();
    const first = resolveShaping(snap, q, state);
    assert.equal(first.connection_limit, 10);
    assert.equal(resolveShaping(snap, q, state), first, 'the same answer object while nothing changed');
    gate.onResponse(q, { code: 421, text: 'Server busy. Please try again later' });
    assert.equal(resolveShaping(snap, q, state).connection_limit, 1);
    await gate.close();
  });

  test('SuspendTenant and SetDomainConfig act on the domain; BounceCampaign bounces one campaign', async () => {
    const { gate, state } = newGate('tenant.json');
    gate.onResponse(path({ tenant: 't1' }), { code: 421, text: 'tenant spam detected' });
    assert.ok(gate.suspendedUntil(path({ tenant: 't1', source: 'ip-9' })), 'every source, same tenant');
    assert.equal(gate.suspendedUntil(path({ tenant: 't2' })), undefined);
    assert.equal(gate.suspendedUntil(path({ tenant: 't1', domain: 'other.com' })), undefined);
    assert.equal(resolveShaping(snap, path({ source: 'ip-9' }), state).max_deliveries_per_connection, 2);
    gate.onResponse(path({ tenant: 't1', campaign: 'c1' }), { code: 550, text: 'user unknown forever' });
    assert.match(gate.bounceReason(path({ tenant: 't1', campaign: 'c1' })) ?? '', /user unknown forever/);
    assert.equal(gate.bounceReason(path({ tenant: 't1', campaign: 'c2' })), undefined);
    await gate.close();
  });

  test('effects survive a restart (persisted state file); expired ones are dropped', async () => {
    const { gate } = newGate('restart.json');
    gate.onResponse(path(), { code: 421, text: '[TSS04] deferred' });
    await gate.close();
    const file = join(dir, 'restart.json');
    assert.ok(existsSync(file));
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).entries.length, 1);
    const again = newGate('restart.json');
    assert.ok(again.gate.suspendedUntil(path()), 'still suspended after the restart');
    await again.gate.close();
    const later = AutomationState.load(file, undefined, Date.now() + 3 * 3600_000);
    assert.equal(later.size, 0);
  });
});

describe('automation state file', () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ out: (l) => lines.push(JSON.parse(l)) });
  const dir = mkdtempSync(join(tmpdir(), 'kumo-ts-autofile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rule = { id: 'r1', block: 'provider."yahoo"', regex: ['x'] };
  const entry = (o: Partial<AutomationEntry> & Pick<AutomationEntry, 'key' | 'action' | 'scope'>): AutomationEntry =>
    ({ since: Date.now(), until: Date.now() + 3600_000, rule, reason: '421 x', ...o });
  const write = (name: string, entries: unknown[] | string) => {
    const p = join(dir, name);
    writeFileSync(p, typeof entries === 'string' ? entries : JSON.stringify({ version: 1, entries }));
    return p;
  };

  test('an unparsable state file: a warning naming it, and an empty state', () => {
    const p = write('broken.json', '{"version": 1, "entries": [');
    const st = AutomationState.load(p, log);
    assert.equal(st.size, 0);
    const w = lines.find((l) => l.msg === 'shaping automation: cannot read the state file; starting empty');
    assert.ok(w && w.path === p && typeof w.error === 'string', JSON.stringify(w));
  });

  test('an override with an invalid value is dropped with a warning; the other effects are kept', () => {
    const p = write('bad-value.json', [
      entry({ key: 'bad', action: 'SetConfig', scope: { source: 'ip-1', site: 's' }, name: 'connection_limit', value: 'lots' }),
      entry({ key: 'good', action: 'SetConfig', scope: { source: 'ip-1', site: 's' }, name: 'connection_limit', value: 3 }),
    ]);
    const st = AutomationState.load(p, log);
    assert.deepEqual(st.list().map((e) => e.key), ['good']);
    assert.deepEqual(st.overridesFor('ip-1', 's', 'd.example').map((o) => o.values.map(([k, v]) => [k, (v as { limit: number }).limit])), [[['connection_limit', 3]]]);
    assert.ok(lines.some((l) => l.msg === 'shaping automation: dropping an override with an invalid value' && l.key === 'bad'));
  });

  test('tenant bounces and campaign suspensions from the file apply to their scope only; each expires at its own time', () => {
    const now = Date.now();
    const p = write('scopes.json', [
      entry({ key: 'bt', action: 'BounceTenant', scope: { domain: 'd.example', tenant: 't1' }, until: now + 1000 }),
      entry({ key: 'sc', action: 'SuspendCampaign', scope: { domain: 'd.example', tenant: 't1', campaign: 'c1' }, until: now + 5000 }),
    ]);
    const st = AutomationState.load(p, log, now);
    const q = { source: 'ip-1', site: 's', domain: 'd.example', tenant: 't1', campaign: 'c1' };
    assert.equal(st.bounceFor(q, now)?.key, 'bt');
    assert.equal(st.bounceFor({ ...q, tenant: 't2' }, now), undefined);
    assert.equal(st.suspensionFor(q, now)?.key, 'sc');
    assert.equal(st.suspensionFor({ ...q, campaign: 'c2' }, now), undefined);
    // the tenant bounce expires first; the suspension stays until its own end
    assert.equal(st.bounceFor(q, now + 2000), undefined);
    assert.equal(st.suspensionFor(q, now + 2000)?.key, 'sc');
    assert.equal(st.suspensionFor(q, now + 4000)?.key, 'sc');
    assert.equal(st.suspensionFor(q, now + 6000), undefined);
    assert.equal(st.size, 0);
  });

  test('a state file that cannot be written: an error naming it; the effect still applies in memory', async () => {
    const p = join(dir, 'is-a-dir.json');
    mkdirSync(join(p, 'inside'), { recursive: true });
    const st = new AutomationState(p, log);
    st.add(entry({ key: 'sus', action: 'Suspend', scope: { source: 'ip-1', site: 's' } }));
    await st.flush();
    const e = lines.find((l) => l.msg === 'shaping automation: cannot save the state file');
    assert.ok(e && e.path === p && e.level === 'error', JSON.stringify(e));
    assert.equal(st.suspensionFor({ source: 'ip-1', site: 's', domain: 'd.example' })?.key, 'sus');
  });
});
