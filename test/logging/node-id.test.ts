// The node id of log records (src/logging/node-id.ts): kept in `.nodeid` under the spool
// directory across restarts, replaced when that file holds something else, taken from
// KUMO_NODE_ID when set (refused unless it is a UUID).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NodeIdError, nodeIdFor } from '../../src/logging/node-id.js';
import { tempTree } from '../helpers/tmp.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const t = tempTree({ 'kept/.nodeid': 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE\n', 'garbage/.nodeid': 'not an id\n' }, 'kumo-nodeid-');
after(() => t.cleanup());

test('an existing .nodeid is read (lowercased); a garbage one is replaced by a new UUID, written 0600', () => {
  assert.equal(nodeIdFor(join(t.dir, 'kept')), 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  const dir = join(t.dir, 'garbage');
  const id = nodeIdFor(dir);
  assert.match(id, UUID);
  assert.equal(readFileSync(join(dir, '.nodeid'), 'utf8'), `${id}\n`);
  assert.equal(statSync(join(dir, '.nodeid')).mode & 0o777, 0o600);
  assert.equal(nodeIdFor(dir), id, 'the same for the life of the process');
});

test('a directory that does not exist gets a process-only id and no file', () => {
  const id = nodeIdFor(join(t.dir, 'absent'));
  assert.match(id, UUID);
  assert.throws(() => statSync(join(t.dir, 'absent')), /ENOENT/);
});

test('KUMO_NODE_ID overrides the file; a value that is not a UUID is a NODE_ID error naming it', (tc) => {
  const before = process.env.KUMO_NODE_ID;
  tc.after(() => {
    if (before === undefined) delete process.env.KUMO_NODE_ID;
    else process.env.KUMO_NODE_ID = before;
  });
  process.env.KUMO_NODE_ID = '11111111-2222-4333-8444-5555555555AA';
  assert.equal(nodeIdFor(join(t.dir, 'kept')), '11111111-2222-4333-8444-5555555555aa');
  process.env.KUMO_NODE_ID = 'node-7';
  assert.throws(() => nodeIdFor(join(t.dir, 'kept')), (e: unknown) => e instanceof NodeIdError && e.code === 'NODE_ID' && e.message === 'KUMO_NODE_ID is not a UUID: "node-7"');
});

test('a .nodeid that cannot be written (a directory stands there) still gives a UUID for this process', () => {
  const dir = join(t.dir, 'blocked');
  mkdirSync(join(dir, '.nodeid', 'inside'), { recursive: true });
  const id = nodeIdFor(dir);
  assert.match(id, UUID);
  assert.ok(statSync(join(dir, '.nodeid')).isDirectory(), 'left as it was');
  assert.equal(nodeIdFor(dir), id, 'the same for the life of the process');
});

test('processes making their first record at the same moment (reception workers) all take one id, the one on disk', async () => {
  const dir = join(t.dir, 'race');
  mkdirSync(dir);
  const mod = new URL('../../src/logging/node-id.js', import.meta.url).href;
  // each process loads the module, says so, and asks for the id when told to go (all at once)
  const code = `const { nodeIdFor } = await import(${JSON.stringify(mod)}); process.stdout.write('ready\\n');
process.stdin.once('data', () => { process.stdout.write(nodeIdFor(${JSON.stringify(dir)}) + '\\n'); process.exit(0); });`;
  const kids = Array.from({ length: 6 }, () => {
    const k = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = { k, text: '' };
    k.stdout.on('data', (d: Buffer) => (out.text += d.toString()));
    return out;
  });
  await Promise.all(kids.map((o) => new Promise<void>((res) => o.k.stdout.on('data', () => o.text.includes('ready') && res()))));
  for (const o of kids) o.k.stdin.write('go\n');
  await Promise.all(kids.map((o) => new Promise((res) => o.k.once('exit', res))));
  const ids = kids.map((o) => o.text.split('\n')[1]);
  const onDisk = readFileSync(join(dir, '.nodeid'), 'utf8').trim();
  assert.match(onDisk, UUID);
  assert.deepEqual(ids, Array(6).fill(onDisk));
  assert.deepEqual(readdirSync(dir), ['.nodeid'], 'no temp file left');
});
