// Issue 14 item 6: the semantic errors of the helper files (queues, sources, listener_domains)
// and of reading them, each named with its file:line:col, so that `validate` points at the key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import type { CompileResult } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

const MAIN = `
[server]
smtp = false
[http]
enabled = false
[spool]
path = "spool"
[dns]
mode = "static"
zone_file = "zone.toml"
`;

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));

async function compile(files: Record<string, string>, main = MAIN): Promise<{ res: CompileResult; dir: string }> {
  const t = tempTree({ 'kumo.toml': main, 'zone.toml': '', ...files });
  trees.push(t);
  return { res: await compileConfig({ root: t.dir }), dir: t.dir };
}

/** every issue as `name:line:col: code: message` (the file's base name) */
function issues(res: CompileResult): string[] {
  const list = res.ok ? res.warnings : res.issues;
  return list.map((i) => `${i.file.split('/').pop()}:${i.line}:${i.col}: ${i.code}: ${formatIssue(i).replace(/^.*?:\d+:\d+: /, '')}`);
}

test('queues: a bad domain pattern, routing_domain, header name and custom_lua latency are errors at their keys', async () => {
  const { res } = await compile({
    'queues.toml': [
      'tenant_header = "X Tenant:"', // 1
      '[queue."not a domain!"]', // 2
      'retry_interval = "5m"', // 3
      '[queue."example.com"]', // 4
      'routing_domain = "no spaces allowed"', // 5
      '[queue."example.org"]', // 6
      'protocol = { custom_lua = { constructor = "make", max_batch_latency = "soon" } }', // 7
      '',
    ].join('\n'),
  });
  assert.equal(res.ok, false);
  const got = issues(res);
  const has = (re: RegExp) => assert.ok(got.some((l) => re.test(l)), `${re} in\n${got.join('\n')}`);
  has(/^queues\.toml:1:\d+: value\.header: .*"X Tenant:" is not a valid header field name/);
  has(/^queues\.toml:2:\d+: value\.domain: .*queue\."not a domain!": expected a domain, "\*\.suffix" or "default"/);
  has(/^queues\.toml:5:\d+: value\.domain: .*routing_domain "no spaces allowed" is not a domain name or an address literal/);
  has(/^queues\.toml:7:\d+: value\.duration: /);
});

test('sources: a pool whose every source has weight 0 can never send: an error at the pool', async () => {
  const { res } = await compile({
    'sources.toml': '[source."a"]\nsource_address = "127.0.0.1"\n[source."b"]\nsource_address = "127.0.0.2"\n[pool."dead"."a"]\nweight = 0\n[pool."dead"."b"]\nweight = 0\n',
  });
  assert.equal(res.ok, false);
  const got = issues(res);
  assert.ok(got.some((l) => /^sources\.toml:5:\d+: value\.pool-weight: .*pool "dead": every source has weight 0/.test(l)), got.join('\n'));
});

test('sources: one source of weight 0 beside a weighted one is fine', async () => {
  const { res } = await compile({
    'sources.toml': '[source."a"]\nsource_address = "127.0.0.1"\n[source."b"]\nsource_address = "127.0.0.2"\n[pool."p"."a"]\nweight = 0\n[pool."p"."b"]\nweight = 1\n',
  });
  assert.ok(res.ok, issues(res).join('\n'));
});

test('listener_domains: a per-listener entry that is not a table is a type error at its key; ttl is parsed and said unused', async () => {
  const { res } = await compile({
    'listener_domains.toml': [
      '[listener]', // 1
      'smtp = "relay"', // 2
      '[listener.other]', // 3
      '"example.com" = 5', // 4
      '["example.net"]', // 5
      'relay_to = true', // 6
      'ttl = "soon"', // 7
      '',
    ].join('\n'),
  });
  assert.equal(res.ok, false);
  const got = issues(res);
  const has = (re: RegExp) => assert.ok(got.some((l) => re.test(l)), `${re} in\n${got.join('\n')}`);
  has(/^listener_domains\.toml:2:\d+: schema\.type: /);
  has(/^listener_domains\.toml:4:\d+: schema\.type: /);
  has(/^listener_domains\.toml:7:\d+: value\.duration: /);
});

test('listener_domains: a valid ttl is accepted with a warning that it is not acted on', async () => {
  const { res } = await compile({ 'listener_domains.toml': '["example.net"]\nrelay_to = true\nttl = "60s"\n' });
  assert.ok(res.ok, issues(res).join('\n'));
  assert.ok(issues(res).some((l) => /^listener_domains\.toml:3:\d+: .*deprecated and unused/.test(l)), issues(res).join('\n'));
});

test('a helper file with a TOML syntax error is reported at its line; the run goes on', async () => {
  const { res } = await compile({ 'queues.toml': '[queue."example.com"]\nretry_interval = \n', 'sources.toml': '[pool."p"."nope"]\nweight = 1\n' });
  assert.equal(res.ok, false);
  const got = issues(res);
  assert.ok(got.some((l) => /^queues\.toml:2:\d+: syntax/.test(l)), got.join('\n'));
});

test('a helper path that cannot be read (a directory) is file.read naming it, not a crash', async () => {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '' });
  trees.push(t);
  mkdirSync(join(t.dir, 'queues.toml'));
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  const got = issues(res);
  assert.ok(got.some((l) => /^queues\.toml:1:1: file\.read: cannot read file: .*EISDIR/.test(l)), got.join('\n'));
});
