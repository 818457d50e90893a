// [tls_policy] compile errors: an unreadable ca_file is a config error naming the key and the
// file; a bad dns.name_servers entry (the default DANE resolvers) is reported once, under dns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

test('a ca_file that cannot be read: value.ca-file at the key, naming the file and why', async () => {
  const t = tempTree({ 'kumo.toml': '[server]\nsmtp = false\n[tls_policy]\nca_file = "missing-ca.pem"\n' });
  after(() => t.cleanup());
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.deepEqual(res.issues.map((i) => `${i.line}:${i.code}`), ['4:value.ca-file'], res.issues.map(formatIssue).join('\n'));
  assert.match(res.issues[0].message, new RegExp(`^tls_policy\\.ca_file: cannot read ${join(t.dir, 'missing-ca.pem').replace(/[.]/g, '\\.')}: ENOENT`));
});

test('a bad dns.name_servers entry is reported once (under dns), not again as a DANE resolver', async () => {
  const t = tempTree({ 'kumo.toml': '[server]\nsmtp = false\n[dns]\nmode = "servers"\nname_servers = ["127.0.0.1:53", "127.0.0.1:99999"]\n' });
  after(() => t.cleanup());
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.equal(res.issues.length, 1, res.issues.map(formatIssue).join('\n'));
  assert.deepEqual(res.issues[0].line, 5);
  assert.doesNotMatch(res.issues[0].message, /tls_policy/);
});
