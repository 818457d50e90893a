import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, compileOrThrow } from '../../src/config/compile.js';
import { queueParams } from '../../src/config/queues.js';
import { tempTree } from '../helpers/tmp.js';

const MAIN = `[server]\nsmtp = false\n[spool]\npath = "./spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
const SOURCES = '[source.s1]\n[source.s2]\n[pool."pool-0".s1]\n[pool."pool-1".s2]\n[pool.tpool.s1]\n[pool.foo.s1]\n[pool.bar.s2]\n';

test("queues.toml in KumoMTA's format: headers, tenants, domain/tenant/campaign layering", async () => {
  const t = tempTree({
    'kumo.toml': MAIN,
    'zone.toml': '',
    'sources.toml': SOURCES,
    'queues.toml': `
tenant_header = "X-Tenant"
campaign_header = "X-Campaign"
remove_campaign_header = false
default_tenant = "default-tenant"

[tenant.'default-tenant']
egress_pool = 'pool-0'

[tenant.'mytenant']
egress_pool = 'pool-1'
max_age = '10 hours'
require_authz = ["scott"]

[queue.default]
max_age = '24 hours'

[queue.'gmail.com']
max_age = '22 hours'
retry_interval = '17 mins'
max_message_rate = "100/min"

[queue.'gmail.com'.'mytenant']
egress_pool = "foo"

[queue.'gmail.com'.'mytenant'.'welcome-campaign']
egress_pool = "bar"
routing_domain = "relay.example.net"

[queue.'*.example.org']
mx_list = ["smart.example.net:2525", "[127.0.0.1]:2526", { name = "mx.x", addr = "10.0.0.9" }]

[queue.'lab.test']
protocol = { maildir_path = "/tmp/md/{{ domain_part }}" }
`,
  });
  try {
    const snap = await compileOrThrow({ root: t.dir });
    const q = snap.queues;
    assert.equal(q.tenantHeader, 'X-Tenant');
    assert.equal(q.campaignHeader, 'X-Campaign');
    assert.equal(q.removeTenantHeader, true);
    assert.equal(q.removeCampaignHeader, false);
    assert.equal(q.defaultTenant, 'default-tenant');
    assert.deepEqual(q.tenants.get('mytenant')?.requireAuthz, ['scott']);

    const H = 3_600_000;
    const other = queueParams(q, 'foo.com');
    assert.equal(other.maxAgeMs, 24 * H);
    assert.equal(other.retryIntervalMs, 20 * 60_000, 'default retry_interval is 20 minutes');
    assert.equal(other.egressPool, 'unspecified');
    assert.deepEqual(other.protocol, { kind: 'smtp' });

    const gmail = queueParams(q, 'gmail.com');
    assert.equal(gmail.maxAgeMs, 22 * H);
    assert.equal(gmail.retryIntervalMs, 17 * 60_000);
    assert.equal(gmail.maxMessageRate?.limit, 100);
    assert.equal(queueParams(q, 'example.com', 'mytenant').egressPool, 'pool-1');
    // the tenant overrides the domain
    assert.equal(queueParams(q, 'gmail.com', 'mytenant').maxAgeMs, 10 * H);
    assert.equal(queueParams(q, 'gmail.com', 'mytenant').egressPool, 'foo');
    const camp = queueParams(q, 'gmail.com', 'mytenant', 'welcome-campaign');
    assert.equal(camp.egressPool, 'bar');
    assert.equal(camp.routingDomain, 'relay.example.net');
    assert.equal(queueParams(q, 'gmail.com', 'default-tenant').egressPool, 'pool-0');

    const smart = queueParams(q, 'a.example.org').protocol;
    assert.deepEqual(smart, {
      kind: 'smtp',
      mxList: [
        { name: 'smart.example.net', addr: undefined, port: 2525 },
        { name: '127.0.0.1', addr: '127.0.0.1', port: 2526 },
        { name: 'mx.x', addr: '10.0.0.9', port: undefined },
      ],
    });
    assert.equal(queueParams(q, 'example.org').protocol.kind, 'smtp');
    assert.equal((queueParams(q, 'example.org').protocol as { mxList?: unknown }).mxList, undefined, '*.example.org does not match example.org');
    assert.deepEqual(queueParams(q, 'lab.test').protocol, { kind: 'maildir', path: '/tmp/md/{{ domain_part }}', dirMode: undefined, fileMode: undefined });
  } finally {
    t.cleanup();
  }
});

test('several queues files merge in order, later keys winning', async () => {
  const t = tempTree({
    'kumo.toml': MAIN + '[files]\nqueues = ["q1.toml", "q2.yaml"]\n',
    'zone.toml': '',
    'sources.toml': SOURCES,
    'q1.toml': "default_tenant = 'mytenant'\n[queue.default]\nmax_age = '24 hours'\n[tenant.'mytenant']\negress_pool = 'tpool'\n[queue.'gmail.com'.'mytenant']\negress_pool = 'foo'\n",
    'q2.yaml': "queue:\n  gmail.com:\n    max_age: 6 hours\n    mytenant:\n      campaign:\n        egress_pool: bar\n",
  });
  try {
    const q = (await compileOrThrow({ root: t.dir })).queues;
    assert.equal(queueParams(q, 'foo.com').maxAgeMs, 24 * 3_600_000);
    assert.equal(queueParams(q, 'gmail.com').maxAgeMs, 6 * 3_600_000);
    assert.equal(queueParams(q, 'gmail.com').egressPool, 'unspecified');
    assert.equal(queueParams(q, 'example.com', 'mytenant').egressPool, 'tpool');
    assert.equal(queueParams(q, 'gmail.com', 'mytenant').egressPool, 'foo');
    assert.equal(queueParams(q, 'gmail.com', 'mytenant', 'campaign').egressPool, 'bar');
  } finally {
    t.cleanup();
  }
});

test('unknown pools, bad durations and throttles are reported at the value, with file:line', async () => {
  const t = tempTree({
    'kumo.toml': MAIN,
    'zone.toml': '',
    'sources.toml': SOURCES,
    'queues.toml': [
      "default_tenant = 'ghost'", // 1
      '[queue.default]', // 2
      "retry_interval = 'soon'", // 3
      '[queue."example.com"]', // 4
      'egress_pool = "nope"', // 5
      'max_message_rate = "lots"', // 6
      '[queue."example.com".t1]', // 7
      'mx_list = ["[300.1.1.1]"]', // 8
    ].join('\n'),
  });
  try {
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (res.ok) return;
    const at = (code: string) => res.issues.filter((i) => i.code === code).map((i) => `${i.line}:${i.col}`);
    assert.deepEqual(at('ref.unknown-pool'), ['5:15']);
    assert.deepEqual(at('value.duration'), ['3:18']);
    assert.deepEqual(at('value.throttle'), ['6:20']);
    assert.deepEqual(at('ref.unknown-tenant'), ['1:18']);
    assert.equal(at('value.host-port').length, 1);
    assert.match(res.issues.find((i) => i.code === 'ref.unknown-pool')!.message, /"nope"/);
  } finally {
    t.cleanup();
  }
});

test('a misspelt key in a domain table is an error (it would otherwise be a tenant)', async () => {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', 'queues.toml': "[queue.'example.com']\nmax_ag = '1d'\n" });
  try {
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (!res.ok) assert.equal(res.issues[0].line, 2);
  } finally {
    t.cleanup();
  }
});
