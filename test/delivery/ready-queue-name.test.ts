import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { parseMxEntry } from '../../src/config/queues.js';
import type { Snapshot } from '../../src/config/snapshot.js';
import { readyQueueIdentity, shapingQueryFor, siteIdentity } from '../../src/delivery/ready-queue-name.js';
import { resolveRoute } from '../../src/dns/route.js';
import type { Route } from '../../src/dns/route.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { resolvePath } from '../../src/shaping/resolve.js';
import { AutomationState, getActiveAutomation, setActiveAutomation } from '../../src/shaping/automation-state.js';
import { tempTree } from '../helpers/tmp.js';

/** The ready queue identity (issue 9 item 1), from a real compiled config and static DNS. */
const YAHOO_MX = ['1 mta5.am0.yahoodns.net', '1 mta6.am0.yahoodns.net'];
const zone = new StaticResolver({
  'yahoo.com': { mx: YAHOO_MX },
  'bar.com': { mx: YAHOO_MX },
  'foo.com': { mx: YAHOO_MX },
  'mta5.am0.yahoodns.net': { a: ['192.0.2.5'] },
  'mta6.am0.yahoodns.net': { a: ['192.0.2.6'] },
});

const SHAPING = `
["yahoo.com"]
max_deliveries_per_connection = 20

["foo.com"]
mx_rollup = false
connection_limit = 3
enable_tls = "Required"
`;

describe('ready queue identity', () => {
  const t = tempTree({
    'kumo.toml': '[server]\nsmtp = false\n[files]\nshaping = ["shaping.toml"]\n',
    'shaping.toml': SHAPING,
    'sources.toml': '[source."ip-1"]\nsource_address = "127.0.0.1"\n[source."relay-port"]\nremote_port = 2526\n[pool."default"."ip-1"]\n',
  });
  let snap: Snapshot;
  before(async () => {
    const res = await compileConfig({ root: t.dir, resolver: zone });
    if (!res.ok) throw new Error(res.issues.map(formatIssue).join('\n'));
    snap = res.snapshot;
  });
  after(() => t.cleanup());
  const route = (domain: string) => resolveRoute(zone, domain);
  const smarthosts = (...entries: string[]) => resolveRoute(zone, 'any.test', { mxList: entries.map(parseMxEntry) });

  test('domains on the same MXs share one site and one queue (MX rollup)', async () => {
    const a = readyQueueIdentity(snap, 'ip-1', 'yahoo.com', await route('yahoo.com'));
    const b = readyQueueIdentity(snap, 'ip-1', 'bar.com', await route('bar.com'));
    assert.equal(a.site, '(mta5|mta6).am0.yahoodns.net');
    assert.equal(a.name, 'ip-1->(mta5|mta6).am0.yahoodns.net@smtp_client');
    assert.equal(b.key, a.key);
  });

  test('an mx_rollup = false domain is its own site; the site block still applies to it', async () => {
    const r = await route('foo.com');
    const id = readyQueueIdentity(snap, 'ip-1', 'foo.com', r);
    assert.equal(id.site, 'foo.com');
    assert.equal(id.mxSite, '(mta5|mta6).am0.yahoodns.net');
    assert.equal(id.tls, 'Required');
    assert.equal(id.name, 'ip-1->foo.com@smtp_client;tls=Required');
    assert.notEqual(id.key, readyQueueIdentity(snap, 'ip-1', 'yahoo.com', await route('yahoo.com')).key);
    const path = resolvePath(snap.shaping, shapingQueryFor('foo.com', id, r.mxHosts, 'ip-1'));
    assert.equal(path.effective.connection_limit, 3);
    assert.equal(path.effective.max_deliveries_per_connection, 20, 'the yahoo site block is a layer below the domain block');
  });

  test('smarthosts: the ports are part of the site', async () => {
    const a = readyQueueIdentity(snap, 'ip-1', 'x.test', await smarthosts('[127.0.0.3]:25259'));
    const b = readyQueueIdentity(snap, 'ip-1', 'y.test', await smarthosts('[127.0.0.3]:25260'));
    const c = readyQueueIdentity(snap, 'ip-1', 'z.test', await smarthosts('[127.0.0.3]:25259'));
    assert.equal(a.site, 'mx_list:[127.0.0.3]:25259');
    assert.equal(b.site, 'mx_list:[127.0.0.3]:25260');
    assert.notEqual(a.key, b.key);
    assert.equal(c.key, a.key, 'the same smarthost list is one destination');
    const named = readyQueueIdentity(snap, 'ip-1', 'x.test', await smarthosts('mta5.am0.yahoodns.net:2525', '[192.0.2.9]'));
    assert.equal(named.site, 'mx_list:mta5.am0.yahoodns.net:2525,[192.0.2.9]');
    // an own-site domain keeps its name as the site; the smarthosts still tell its queues apart
    const own = readyQueueIdentity(snap, 'ip-1', 'foo.com', await smarthosts('[127.0.0.3]:25259'));
    assert.equal(own.name, 'ip-1->foo.com@smtp_client;mx_list=[127.0.0.3]:25259;tls=Required');
  });

  test("the source's remote_port is part of the name for hosts without an explicit port", async () => {
    const mx = readyQueueIdentity(snap, 'relay-port', 'yahoo.com', await route('yahoo.com'));
    assert.equal(mx.name, 'relay-port->(mta5|mta6).am0.yahoodns.net@smtp_client;port=2526');
    assert.equal(mx.port, 2526);
    const explicit = readyQueueIdentity(snap, 'relay-port', 'x.test', await smarthosts('[127.0.0.3]:25259'));
    assert.equal(explicit.name, 'relay-port->mx_list:[127.0.0.3]:25259@smtp_client', 'every host has its own port');
  });

  test('two MX sets whose rollup names collide get separate queues', () => {
    const r = (hosts: string[]): Route => ({ site: '(a|b).(x|y).test', mxHosts: hosts, hosts: hosts.map((name) => ({ name, addrs: ['192.0.2.1'] })), explicit: false });
    const one = readyQueueIdentity(snap, 'ip-1', 'one.test', r(['a.x.test', 'b.y.test', 'b.x.test']));
    const two = readyQueueIdentity(snap, 'ip-1', 'two.test', r(['a.x.test', 'b.y.test', 'a.y.test']));
    assert.equal(one.name, two.name);
    assert.notEqual(one.key, two.key);
  });

  test('asked again for the same route, the identity is remembered until an automation override or a new epoch changes it', async () => {
    const r = await route('yahoo.com');
    const first = readyQueueIdentity(snap, 'ip-1', 'yahoo.com', r);
    assert.equal(readyQueueIdentity(snap, 'ip-1', 'yahoo.com', r), first, 'the same object: no second resolution');
    assert.equal(readyQueueIdentity(snap, 'relay-port', 'yahoo.com', r).name, 'relay-port->(mta5|mta6).am0.yahoodns.net@smtp_client;port=2526', 'another source is another key');
    const saved = getActiveAutomation();
    const state = new AutomationState();
    setActiveAutomation(state);
    try {
      const now = Date.now();
      state.add({ key: 'tls', action: 'SetConfig', scope: { source: 'ip-1', site: first.site }, name: 'enable_tls', value: 'Required', since: now, until: now + 60_000,
        rule: { id: 'r', block: 'yahoo.com', regex: ['x'] }, reason: 'test' });
      assert.equal(readyQueueIdentity(snap, 'ip-1', 'yahoo.com', r).name, `${first.name};tls=Required`, 'the override is seen at once');
      state.add({ key: 'tls', action: 'SetConfig', scope: { source: 'ip-1', site: first.site }, name: 'enable_tls', value: 'Required', since: now, until: now + 1,
        rule: { id: 'r', block: 'yahoo.com', regex: ['x'] }, reason: 'test' });
      await new Promise((res) => setTimeout(res, 5));
      assert.equal(readyQueueIdentity(snap, 'ip-1', 'yahoo.com', r).name, first.name, 'an expired override is gone at once too');
    } finally {
      setActiveAutomation(saved);
    }
    const res = await compileConfig({ root: t.dir, resolver: zone });
    assert.ok(res.ok);
    const next = { ...res.snapshot, epoch: snap.epoch + 1 } as Snapshot;
    assert.notEqual(readyQueueIdentity(next, 'ip-1', 'yahoo.com', r), first, 'a new snapshot resolves again');
    assert.deepEqual(readyQueueIdentity(next, 'ip-1', 'yahoo.com', r), first);
  });

  test('siteIdentity reads mx_rollup from the compiled snapshot', () => {
    assert.deepEqual(siteIdentity(snap.shaping, 'FOO.com', { site: 'mx.site' }), { site: 'foo.com', mxSite: 'mx.site', ownSite: true });
    assert.deepEqual(siteIdentity(snap.shaping, 'bar.com', { site: 'mx.site' }), { site: 'mx.site', mxSite: 'mx.site', ownSite: false });
  });
});
