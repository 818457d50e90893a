// [server] workers and its KUMO_TS_WORKERS default (src/config/main-settings.ts).
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { compileConfig } from '../../src/config/compile.js';
import { tempTree } from '../helpers/tmp.js';

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));
const saved = process.env.KUMO_TS_WORKERS;
afterEach(() => {
  if (saved === undefined) delete process.env.KUMO_TS_WORKERS;
  else process.env.KUMO_TS_WORKERS = saved;
});

async function workers(server: string, listener = ''): Promise<number | string> {
  const t = tempTree({ 'kumo.toml': `[listener.smtp]\nlisten = "127.0.0.1:2525"\n${listener}\n[server]\n${server}\n` });
  trees.push(t);
  const res = await compileConfig({ root: t.dir });
  if (!res.ok) return res.issues.map((i) => `${i.code}: ${i.message}`).join('; ');
  return res.snapshot.main.server.workers;
}

test('workers: default "auto" (the cores); a number; "auto"', async () => {
  delete process.env.KUMO_TS_WORKERS;
  assert.equal(await workers(''), availableParallelism());
  assert.equal(await workers('workers = 3'), 3);
  assert.equal(await workers('workers = "auto"'), availableParallelism());
  assert.match(String(await workers('workers = 0')), /workers/);
  // both choices named, not ajv's "must be equal to constant"
  assert.equal(await workers('workers = "many"'), 'schema.const: server.workers: must be "auto" or an integer, got "many"');
});

test('the default is one process for a node without SMTP or with a deferred_spool listener; an explicit number wins', async () => {
  delete process.env.KUMO_TS_WORKERS;
  assert.equal(await workers('smtp = false'), 1);
  assert.equal(await workers('', 'deferred_spool = true'), 1);
  assert.equal(await workers('workers = 2', 'deferred_spool = true'), 2);
  assert.equal(await workers('workers = "auto"', 'deferred_spool = true'), availableParallelism());
  assert.equal(await workers('', 'deferred_spool = false'), availableParallelism());
});

test('KUMO_TS_WORKERS sets the default only; a bad value is a config error naming it', async () => {
  process.env.KUMO_TS_WORKERS = '2';
  assert.equal(await workers(''), 2);
  assert.equal(await workers('workers = 1'), 1, 'the key wins');
  process.env.KUMO_TS_WORKERS = 'auto';
  assert.equal(await workers(''), availableParallelism());
  process.env.KUMO_TS_WORKERS = 'lots';
  assert.match(String(await workers('')), /KUMO_TS_WORKERS="lots"/);
});
