import { describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../src/config/issues.js';
import { lookupListenerDomain } from '../../src/config/listener-domains.js';
import { NOT_IMPLEMENTED } from '../../src/config/not-acted.js';
import { QUEUE_NOT_ACTED, queueParams } from '../../src/config/queues.js';
import { PACKAGE_ROOT, SCHEMA_DIR } from '../../src/paths.js';
import { queueName } from '../../src/queue/naming.js';
import { NOT_ACTED_PARAMS } from '../../src/shaping/not-acted.js';
import { compileWith, describe, DOCS_FIXTURES } from './harness.js';

const POOLS = 'sources.toml';
const SOURCES = '[source.s1]\n[pool.p1.s1]\n';

suite('queues.toml: every form of the KumoMTA queue helper', () => {
  test('every make_queue_config key at every level; the ones not acted on warn, naming the key', async () => {
    const keys = `reap_interval = "5m"\nrefresh_interval = "30s"\nrefresh_strategy = "Epoch"\ntimerwheel_tick_interval = "1s"\nstrategy = "SkipList"\nprovider_name = "p"\nshrink_policy = [{interval = "1m", policy = "ShrinkData"}]\n`;
    const res = await compileWith([], {
      [POOLS]: SOURCES,
      'queues.toml': `[queue.default]\n${keys}\n[queue.'a.test']\negress_pool = "p1"\n${keys}\n[tenant.t1]\n${keys}\n[queue.'a.test'.t1]\n${keys}\n[queue.'a.test'.t1.c1]\n${keys}`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      const w = res.warnings.filter((i) => i.code === NOT_IMPLEMENTED).map((i) => i.message.split(':')[0]);
      for (const scope of ['queue.default', 'queue."a.test"', 'tenant.t1', 'queue."a.test".t1', 'queue."a.test".t1.c1'])
        for (const k of Object.keys(QUEUE_NOT_ACTED)) assert.ok(w.includes(`${scope}.${k}`), `${scope}.${k} warns`);
      assert.equal(w.length, 5 * Object.keys(QUEUE_NOT_ACTED).length);
      // the acted-on settings still layer as before
      assert.equal(queueParams(res.snapshot.queues, 'a.test', 't1', 'c1').egressPool, 'p1');
      assert.equal(queueParams(res.snapshot.queues, 'a.test', 't1', 'c1').notActed.strategy, 'SkipList');
    } finally {
      res.cleanup();
    }
  });

  test("KumoMTA's explicit spellings [queue.'d'.tenants.'t'] and [queue.'d'.'t'.campaigns.'c'] are the same tables", async () => {
    const res = await compileWith([], {
      [POOLS]: '[source.s1]\n[pool.p1.s1]\n[pool.p2.s1]\n',
      'queues.toml': `[queue.'a.test'.tenants.t1]\negress_pool = "p1"\n[queue.'a.test'.t1.campaigns.c1]\negress_pool = "p2"\nmax_age = "1h"\n`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.equal(queueParams(res.snapshot.queues, 'a.test', 't1').egressPool, 'p1');
      assert.equal(queueParams(res.snapshot.queues, 'a.test', 't1', 'c1').egressPool, 'p2');
      assert.equal(queueParams(res.snapshot.queues, 'a.test', 't1', 'c1').maxAgeMs, 3_600_000);
    } finally {
      res.cleanup();
    }
  });

  test("routing_domain as an address literal ('[10.0.0.1]', '[IPv6:::1]', with a port) routes to that address", async () => {
    const res = await compileWith([], {
      'queues.toml': `[queue.'my.own.hostname']\nrouting_domain = '[10.0.0.1]'\n[queue.'v6.test']\nrouting_domain = '[IPv6:2001:db8::5]'\n[queue.'port.test']\nrouting_domain = '[10.0.0.2]:2525'\n[queue.'mx.test']\nrouting_domain = '[10.0.0.3]'\nmx_list = ["smart.example.net"]\n`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      const q = res.snapshot.queues;
      const p = queueParams(q, 'my.own.hostname');
      assert.equal(p.routingDomain, '[10.0.0.1]');
      assert.deepEqual(p.protocol, { kind: 'smtp', mxList: [{ name: '10.0.0.1', addr: '10.0.0.1' }] });
      assert.equal(queueName({ domain: 'my.own.hostname', routingDomain: p.routingDomain }), 'my.own.hostname![10.0.0.1]');
      assert.deepEqual(queueParams(q, 'v6.test').protocol, { kind: 'smtp', mxList: [{ name: '2001:db8::5', addr: '2001:db8::5' }] });
      assert.deepEqual(queueParams(q, 'port.test').protocol, { kind: 'smtp', mxList: [{ name: '10.0.0.2', addr: '10.0.0.2', port: 2525 }] });
      // the queue's own smarthosts win over the literal
      assert.deepEqual(queueParams(q, 'mx.test').protocol, { kind: 'smtp', mxList: [{ name: 'smart.example.net', addr: undefined, port: undefined }] });
    } finally {
      res.cleanup();
    }
    const bad = await compileWith([], { 'queues.toml': `[queue.'x.test']\nrouting_domain = '[10.0.0.300]'\n` });
    try {
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.deepEqual(describe(bad.issues), ['queues.toml:2 value.domain queue."x.test".routing_domain']);
    } finally {
      bad.cleanup();
    }
  });

  test('tenant keys: overall_max_message_rate and per-tenant campaign tables are parsed (bad values are errors); only the ignored ones warn', async () => {
    const res = await compileWith([], {
      'queues.toml': `[tenant.t1]\noverall_max_message_rate = "100/s"\n[tenant.t1.campaigns.c1]\noverall_max_message_rate = "50/s"\nmax_age = "1h"\n[queue.'a.test']\noverall_max_message_rate = "10/s"\n`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(describe(res.warnings), [
        'queues.toml:5 key.not-implemented tenant.t1.campaigns.c1.max_age',
        'queues.toml:7 key.not-implemented queue."a.test".overall_max_message_rate',
      ]);
      const t = res.snapshot.queues.tenants.get('t1')!;
      assert.equal(t.overallMaxMessageRate?.spec, '100/s');
      assert.equal(t.campaignRates.get('c1')?.spec, '50/s');
    } finally {
      res.cleanup();
    }
    const bad = await compileWith([], { 'queues.toml': `[tenant.t1]\noverall_max_message_rate = "fast"\n` });
    try {
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.deepEqual(bad.issues.filter((i) => i.severity === 'error').map((i) => i.code), ['value.throttle']);
    } finally {
      bad.cleanup();
    }
  });

  test('protocol forms: custom_lua and xfer are accepted and warn (the queue delivers by SMTP); mx_list addr may carry a port', async () => {
    const res = await compileWith([], {
      'queues.toml': `[queue.'lua.test']\nprotocol = { custom_lua = { constructor = "make.webhook" } }\n[queue.'xfer.test']\nprotocol = { xfer = { target = "http://127.0.0.1:8000" } }\n[queue.'smart.test']\nprotocol = { smtp = { mx_list = ["smart.host.local:2025", { name = "mx.example.com", addr = "10.0.0.1:2025" }], treat_mx_list_as_secure = true } }\n`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(describe(res.warnings), [
        'queues.toml:2 key.not-implemented queue."lua.test".protocol.custom_lua',
        'queues.toml:4 key.not-implemented queue."xfer.test".protocol.xfer',
        'queues.toml:6 key.not-implemented queue."smart.test".protocol.smtp.treat_mx_list_as_secure',
      ]);
      assert.deepEqual(queueParams(res.snapshot.queues, 'lua.test').protocol, { kind: 'smtp', mxList: undefined });
      assert.deepEqual(queueParams(res.snapshot.queues, 'smart.test').protocol, {
        kind: 'smtp',
        mxList: [{ name: 'smart.host.local', addr: undefined, port: 2025 }, { name: 'mx.example.com', addr: '10.0.0.1', port: 2025 }],
      });
    } finally {
      res.cleanup();
    }
  });
});

suite('sources.toml: every make_egress_source key', () => {
  test('socks5 credentials load; suspend_when_proxy_unhealthy, Threshold triggers and ttl are accepted and warn', async () => {
    const res = await compileWith([], {
      'sources.toml': `[source.s1]\nsocks5_proxy_server = "proxy.example.com:1080"\nsocks5_proxy_source_address = "10.0.0.1"\nsocks5_proxy_username = "u"\nsocks5_proxy_password = { key_data = "secret" }\nsuspend_when_proxy_unhealthy = { trigger = { Threshold = "3/5m" }, duration = "10m" }\nttl = "60s"\n[source.s2]\nsource_address = "10.0.0.2"\nsuspend_when_unplumbed = { trigger = { Threshold = "3/1m" }, duration = "5m" }\n[source.s3]\nha_proxy_server = "haproxy.example.com:5000"\nha_proxy_source_address = "10.0.0.3"\n`,
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(describe(res.warnings), [
        'sources.toml:6 key.not-implemented source.s1.suspend_when_proxy_unhealthy',
        'sources.toml:7 key.not-implemented source.s1.ttl',
        'sources.toml:10 key.not-implemented source.s2.suspend_when_unplumbed.trigger',
      ]);
      assert.equal(res.snapshot.egress.sources.get('s1')?.socks5?.auth?.username, 'u');
      assert.equal(res.snapshot.egress.sources.get('s2')?.suspendWhenUnplumbedMs, 300_000);
      assert.equal(res.snapshot.egress.sources.get('s3')?.haProxy?.server.host, 'haproxy.example.com');
    } finally {
      res.cleanup();
    }
  });
});

suite('listener_domains and dkim_sign', () => {
  test('log_oob = true / log_arf = true mean "LogThenRelay", as in KumoMTA; listener "*" is the global block', async () => {
    const res = await compileWith([], {
      'listener_domains.toml': '["bounce.test"]\nlog_oob = true\n["fbl.test"]\nlog_arf = true\n["off.test"]\nlog_oob = false\n[listener."*"."any.test"]\nrelay_to = true\n',
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      const ld = res.snapshot.listenerDomains;
      assert.equal(lookupListenerDomain(ld, 'bounce.test', [])?.logOob, 'LogThenRelay');
      assert.equal(lookupListenerDomain(ld, 'fbl.test', [])?.logArf, 'LogThenRelay');
      assert.equal(lookupListenerDomain(ld, 'off.test', [])?.logOob, 'Ignore');
      assert.equal(lookupListenerDomain(ld, 'any.test', ['127.0.0.1:25'])?.relayTo, true);
    } finally {
      res.cleanup();
    }
  });

  test('KumoMTA spells the DKIM canonicalizations "Relaxed" and "Simple"', async () => {
    const res = await compileWith([], {
      'dkim_data.toml': '[base]\nselector = "s1"\nheader_canonicalization = "Simple"\nbody_canonicalization = "Relaxed"\n[domain."example.com"]\nfilename = "k.pem"\n',
    });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      const b = res.snapshot.dkim.domains.get('example.com')!;
      assert.equal(b.headerCanonicalization, 'simple');
      assert.equal(b.bodyCanonicalization, 'relaxed');
    } finally {
      res.cleanup();
    }
  });

  test('not accepted, as by KumoMTA: the FAQ fragment with a top-level additional_signatures (it belongs under [base])', async () => {
    // https://docs.kumomta.com/faq/multiple_dkim_signatures/ shows the key outside [base];
    // KumoMTA's dkim_sign helper refuses it ("unknown field"), and so does kumo-ts
    const res = await compileWith([], { 'dkim_data.toml': 'additional_signatures = ["MyESPName"]\n\n[signature."MyESPName"]\npolicy = "Always"\ndomain = "myesp.com"\n' });
    try {
      assert.equal(res.ok, false);
      if (!res.ok) assert.deepEqual(describe(res.issues.filter((i) => i.severity === 'error')), ['dkim_data.toml:1 schema.unknown-key unknown key "additional_signatures" in (top level)']);
    } finally {
      res.cleanup();
    }
  });
});

suite('shaping', () => {
  const BUNDLED = join(PACKAGE_ROOT, '..', 'shared', 'fixtures', 'kumomta', 'shaping.toml');
  const AUTOMATION = join(DOCS_FIXTURES, 'guide-shaping-automation', 'shaping.toml');

  test('"no match rules" is decided after every layer is merged: automation for a provider whose match rules the bundled file gives', { skip: !existsSync(BUNDLED) && `${BUNDLED} absent` }, async () => {
    const res = await compileWith([BUNDLED, AUTOMATION]);
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(res.warnings.filter((w) => w.code === 'shaping.provider-no-match'), []);
      assert.ok(res.snapshot.shaping.providers.find((p) => p.name === 'yahoo')!.automation.length >= 2, 'both files add yahoo automation');
    } finally {
      res.cleanup();
    }
  });

  test('a provider without match rules in any layer still warns, once, at its first block', async () => {
    const res = await compileWith([], { 'shaping.toml': '[provider."nomatch"]\nconnection_limit = 2\n', 'shaping-2.toml': '[provider."nomatch"]\nmax_ready = 5\n' });
    try {
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      assert.deepEqual(describe(res.warnings), ['shaping.toml:1 shaping.provider-no-match provider "nomatch" has no match rules in any shaping file, so it matches no domain']);
    } finally {
      res.cleanup();
    }
  });
});

suite('schemas are the source of truth for what is not acted on', () => {
  const schema = (kind: string) => JSON.parse(readFileSync(join(SCHEMA_DIR, `${kind}.schema.json`), 'utf8'));
  const notActedKeys = (props: Record<string, { description?: string }>) =>
    Object.entries(props).filter(([, v]) => /not acted on yet/i.test(v.description ?? '')).map(([k]) => k).sort();

  test('shaping: the keys described "not acted on yet" are exactly the ones the compiler warns about', () => {
    const s = schema('shaping');
    for (const block of ['default_block', 'domain_block', 'source_block', 'provider_block', 'provider_source_block']) {
      const props = s.definitions[block].properties;
      assert.deepEqual(notActedKeys(props), Object.keys(NOT_ACTED_PARAMS).filter((k) => k in props).sort(), block);
    }
  });

  test('queues: the make_queue_config keys described "not acted on yet" are the ones queues.ts warns about', () => {
    const defs = schema('queues').definitions;
    // protocol itself is acted on; two of its forms are not
    assert.deepEqual(notActedKeys(defs.campaign_queue.properties).filter((k) => k !== 'protocol'), [...Object.keys(QUEUE_NOT_ACTED), 'overall_max_message_rate'].sort());
    assert.deepEqual(notActedKeys(defs.protocol.properties), ['custom_lua', 'xfer']);
  });
});
