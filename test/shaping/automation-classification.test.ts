import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '../../src/config/store.js';
import { AutomationState } from '../../src/shaping/automation-state.js';
import { explainShaping } from '../../src/shaping/explain.js';
import { LocalShapingGate } from '../../src/shaping/gate.js';
import type { PathInfo } from '../../src/shaping/gate.js';
import { cleanupTrees, compileShapingFiles, snapshotOf, YAHOO_MX } from './helpers.js';

// a rule on the classification only, and one on classification and regex together
const SHAPING = `
[provider."yahoo"]
match = [{MXSuffix = ".yahoodns.net"}]

[[provider."yahoo".automation]]
bounce_classification = "QuotaIssues"
action = "Suspend"
duration = "1 hour"

[[provider."yahoo".automation]]
bounce_classification = ["SpamBlock", "PolicyRelated"]
regex = "only-this-one"
action = "SuspendTenant"
duration = "1 hour"
`;

const SITE = '(mta5|mta6|mta7).am0.yahoodns.net';
const path = (o: Partial<PathInfo> = {}): PathInfo => ({ domain: 'yahoo.com', site: SITE, mxHosts: ['mta5.am0.yahoodns.net'], source: 'ip-1', tenant: 't1', ...o });

describe('automation rules that match on bounce_classification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-ts-autocls-'));
  after(() => {
    cleanupTrees();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a rule fires on the classification the epoch's rules give, and only on it", async () => {
    const store = new ConfigStore();
    store.swap(await snapshotOf({ 'shaping.toml': SHAPING }, { 'yahoo.com': { mx: YAHOO_MX } }));
    const gate = new LocalShapingGate(store, undefined, AutomationState.load(join(dir, 'a.json')));
    gate.onResponse(path(), { code: 550, enhanced: '5.1.1', text: 'no such user' }); // InvalidRecipient
    assert.equal(gate.suspendedUntil(path()), undefined);
    gate.onResponse(path(), { code: 452, enhanced: '4.2.2', text: 'mailbox full' }); // QuotaIssues
    assert.ok(gate.suspendedUntil(path()), 'QuotaIssues suspends the path');
    await gate.close();
  });

  test('with regex as well, both must match', async () => {
    const store = new ConfigStore();
    store.swap(await snapshotOf({ 'shaping.toml': SHAPING }, { 'yahoo.com': { mx: YAHOO_MX } }));
    const state = AutomationState.load(join(dir, 'b.json'));
    const gate = new LocalShapingGate(store, undefined, state);
    gate.onResponse(path(), { code: 554, enhanced: '5.7.1', text: 'blocked using zen.spamhaus.org' }); // SpamBlock, no regex match
    gate.onResponse(path(), { code: 554, enhanced: '5.1.1', text: 'only-this-one user unknown' }); // regex, but InvalidRecipient
    assert.equal(state.list().length, 0, 'neither fires alone');
    gate.onResponse(path(), { code: 554, enhanced: '5.7.1', text: 'only-this-one: blocked using zen.spamhaus.org' });
    assert.deepEqual(state.list().map((e) => e.action), ['SuspendTenant']);
    await gate.close();
  });

  test('a rule with neither regex nor bounce_classification is an error; explain shows the classification', async () => {
    const bad = await compileShapingFiles({ 'shaping.toml': '[default]\n[[default.automation]]\naction = "Suspend"\nduration = "1h"\n' });
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.issues.some((i) => i.code === 'value.automation' && /regex, bounce_classification/.test(i.message)));
    const snap = await snapshotOf({ 'shaping.toml': SHAPING }, { 'yahoo.com': { mx: YAHOO_MX } });
    const e = explainShaping(snap, path());
    assert.deepEqual(e.rules.map((r) => r.bounce_classification), [['QuotaIssues'], ['SpamBlock', 'PolicyRelated']]);
  });
});
