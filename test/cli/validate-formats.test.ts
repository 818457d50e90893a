import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { toGithubAnnotation } from '../../src/cli/validate-format.js';
import { tempTree } from '../helpers/tmp.js';

const bin = join(PACKAGE_ROOT, 'bin', 'kumo-ts');
const validate = (dir: string, ...args: string[]) => spawnSync(process.execPath, [bin, 'validate', '--config', dir, ...args], { cwd: dir, encoding: 'utf8' });
const MAIN = '[server]\nsmtp = false\n[spool]\npath = "spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n';

/** Errors in four files, one of them the main file: every one is reported in the same run. */
const BROKEN = {
  'kumo.toml': MAIN + '[logs]\ncompress = "yes"\n',
  'zone.toml': '',
  'sources.toml': '[source.a]\nsource_address = "x"\nzzz = 1\n',
  'queues.toml': "[queue.'gmail.com']\nmax_age = 'forever'\n[tenant.t]\nfoo = 2\nrefresh_interval = '5m'\n",
  'dkim.toml': '[base]\nbad = 1\n',
};

test('validate: every error of every file in one run, even when the main file is broken', () => {
  const t = tempTree(BROKEN);
  try {
    const r = validate(t.dir);
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'dkim.toml:2:1: unknown key "bad" in base',
      'kumo.toml:9:12: logs.compress: expected boolean, got string',
      'queues.toml:2:11: queue."gmail.com".max_age: invalid duration "forever" (expected e.g. "90s", "5m", "2 hours", "3 days")',
      'queues.toml:4:1: unknown key "foo" in tenant.t',
      'queues.toml:5:1: warning: tenant.t.refresh_interval: accepted for KumoMTA compatibility, not acted on yet (every config change applies at the next decision)',
      'sources.toml:2:18: source."a".source_address: "x" is not an IP address',
      'sources.toml:3:1: unknown key "zzz" in source.a',
      `6 errors in ${t.dir}`,
    ]);
  } finally {
    t.cleanup();
  }
});

test('validate --format json: an array of {file, line, column, severity, code, message}, warnings included', () => {
  const t = tempTree(BROKEN);
  try {
    const r = validate(t.dir, '--format', 'json');
    assert.equal(r.status, 1);
    const issues = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(issues.length, 7);
    assert.deepEqual(issues[1], { file: 'kumo.toml', line: 9, column: 12, severity: 'error', code: 'schema.type', message: 'logs.compress: expected boolean, got string' });
    assert.deepEqual(issues.map((i) => `${i.file}:${i.severity}:${i.code}`).slice(4), ['queues.toml:warning:key.not-implemented', 'sources.toml:error:value.address', 'sources.toml:error:schema.unknown-key']);
    for (const i of issues) assert.deepEqual(Object.keys(i), ['file', 'line', 'column', 'severity', 'code', 'message']);
  } finally {
    t.cleanup();
  }
  const ok = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '' });
  try {
    const r = validate(ok.dir, '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  } finally {
    ok.cleanup();
  }
});

test('validate --format github: one workflow-command annotation per issue', () => {
  const t = tempTree(BROKEN);
  try {
    const r = validate(t.dir, '--format', 'github');
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 7);
    assert.equal(lines[1], '::error file=kumo.toml,line=9,col=12,title=schema.type::logs.compress: expected boolean, got string');
    assert.match(lines[4]!, /^::warning file=queues\.toml,line=5,col=1,title=key\.not-implemented::tenant\.t\.refresh_interval: accepted/);
    assert.match(r.stderr, /6 errors in /);
  } finally {
    t.cleanup();
  }
  // the escapes GitHub defines for data and properties
  assert.equal(
    toGithubAnnotation({ file: 'a,b:c.toml', line: 1, col: 2, severity: 'error', code: 'x', message: '50% done\nnext line' }),
    '::error file=a%2Cb%3Ac.toml,line=1,col=2,title=x::50%25 done%0Anext line',
  );
});

test('validate test-loads DKIM keys (as KumoMTA --validate signs a test message) and certificates', async () => {
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const t = tempTree({
    'kumo.toml': MAIN.replace('[server]\nsmtp = false\n', '') + '[listener.smtp]\nlisten = "127.0.0.1:2525"\ntls = { certificate = "cert.pem", private_key = "ed.key" }\n',
    'zone.toml': '',
    'cert.pem': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    'ed.key': ed,
    'garbage.key': 'this is not a key\n',
    'dkim.toml': [
      '[base]\nselector = "s1"\nkey_dir = "nokeys"',
      '[domain."good.test"]\nalgo = "ed25519"\nfilename = "ed.key"',
      '[domain."garbage.test"]\nfilename = "garbage.key"',
      '[domain."type.test"]\nfilename = "ed.key"',
      // a template key (<key_dir>/<domain>/<selector>.key) for one domain is loaded too;
      // a wildcard block's keys depend on the message, so they are not
      '[domain."missing.test"]',
      '[domain."*.wild.test"]',
    ].join('\n') + '\n',
  });
  try {
    // serving (and a reload) only warns about certificate contents; validate refuses them
    const compiled = await compileConfig({ root: t.dir });
    assert.equal(compiled.ok, true, compiled.ok ? '' : compiled.issues.map((i) => i.message).join('\n'));
    const r = validate(t.dir);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(': ')[0]), ['dkim.toml:8:12', 'dkim.toml:10:12', 'dkim.toml:11:1', 'kumo.toml:8:23', lines.at(-1)!.split(': ')[0]]);
    assert.match(lines[0]!, /domain\."garbage\.test": the DKIM key cannot be used: file .*garbage\.key: not a usable private key/);
    assert.match(lines[1]!, /domain\."type\.test": the DKIM key cannot be used: file .*ed\.key: the key is ed25519, but rsa-sha256 needs an rsa key/);
    assert.match(lines[2]!, /domain\."missing\.test": the DKIM key cannot be used: file .*nokeys\/missing\.test\/s1\.key: cannot read the key: no such file/);
    assert.match(lines[3]!, /listener "smtp" TLS: .*cert\.pem: the certificate does not parse/);
    assert.equal(lines[4], `4 errors in ${t.dir}`);
    const j = JSON.parse(validate(t.dir, '--format', 'json').stdout) as { code: string }[];
    assert.deepEqual(j.map((i) => i.code), ['dkim.key-parse', 'dkim.key-type', 'key.file', 'value.tls-bad-certificate']);
  } finally {
    t.cleanup();
  }
});
