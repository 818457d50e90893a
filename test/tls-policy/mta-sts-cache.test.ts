// The persisted MTA-STS policy cache with real files: a damaged file is reported and replaced,
// a file that cannot be written is reported and the policy is still served from memory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StsPolicyCache } from '../../src/tls-policy/mta-sts-cache.js';
import type { CachedStsPolicy } from '../../src/tls-policy/mta-sts-cache.js';
import { tempTree } from '../helpers/tmp.js';

const policy = (domain: string): CachedStsPolicy => ({
  domain, id: 'i1', fetchedAt: Date.now(), expiresAt: Date.now() + 86_400_000,
  policy: { mode: 'enforce', mx: [`mx.${domain}`], maxAge: 86400, lines: ['version: STSv1', 'mode: enforce', `mx: mx.${domain}`, 'max_age: 86400'] },
});

test('a cache file that cannot be written: reported with the file, the policy still served', async () => {
  // the cache file's directory is a regular file
  const t = tempTree({ 'not-a-dir': 'x' });
  after(() => t.cleanup());
  const errors: string[] = [];
  const file = join(t.dir, 'not-a-dir', 'mta-sts-cache.json');
  const c = new StsPolicyCache(file, (what, e) => errors.push(`${what}: ${(e as Error).message}`));
  await c.set(policy('a.test'));
  // reading it failed too (ENOTDIR, not a missing file)
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0], /unreadable, starting empty: .*ENOTDIR/);
  assert.match(errors[1], new RegExp(`^MTA-STS cache ${file.replace(/[.]/g, '\\.')} could not be written: .`));
  assert.equal((await c.get('a.test'))?.id, 'i1');
});

test('a damaged cache file: reported, started empty, replaced on the next change', async () => {
  const t = tempTree({ 'cache.json': '{"version": 1, "policies": {' });
  after(() => t.cleanup());
  const errors: string[] = [];
  const file = join(t.dir, 'cache.json');
  const c = new StsPolicyCache(file, (what) => errors.push(what));
  assert.equal(await c.get('a.test'), undefined);
  assert.deepEqual(errors, [`MTA-STS cache ${file} unreadable, starting empty`]);
  await c.set(policy('b.test'));
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8')).policies), ['b.test']);
});
