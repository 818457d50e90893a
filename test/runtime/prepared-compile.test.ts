// PreparedCompile (src/runtime/prepared-compile.ts): a worker's compile started at the owner's
// 'prepare' is used for the announced epoch only when it compiled the same files; otherwise
// the files as they are now are compiled. Real config files in a temp dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileConfig } from '../../src/config/compile.js';
import { PreparedCompile } from '../../src/runtime/prepared-compile.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-prepared-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** kumo.toml with a listener whose banner names the variant, and its content hash. */
async function writeVariant(name: string): Promise<string> {
  writeFileSync(join(dir, 'kumo.toml'), `[http]\nenabled = false\n[spool]\npath = ${JSON.stringify(join(dir, 'spool'))}\n[listener.smtp]\nlisten = "127.0.0.1:0"\nbanner = "${name}"\n`);
  const res = await compileConfig({ root: dir, receptionOnly: true });
  assert.ok(res.ok, JSON.stringify(!res.ok && res.issues));
  return res.snapshot.hash;
}

const banner = (res: Awaited<ReturnType<PreparedCompile['forEpoch']>>) => {
  assert.ok(res.ok);
  return res.snapshot.main.listeners.get('smtp')?.banner;
};

test('the prepared compile is used for its epoch when the hash matches (not a compile of the files as they are now)', async () => {
  const hashA = await writeVariant('A');
  const pc = new PreparedCompile(dir);
  const prepared = await pc.prepare(2);
  // the owner compiled A and announces it; the files have moved on to B meanwhile (its next epoch)
  await writeVariant('B');
  const res = await pc.forEpoch(2, hashA);
  assert.equal(res, prepared, 'the prepared result itself');
  assert.ok(res.ok);
  assert.equal(res.snapshot.epoch, 2);
  assert.equal(banner(res), 'A');
  assert.equal(pc.take(2), undefined, 'used once');
});

test('the files changed after the prepare: the announced hash does not match, the files are compiled again', async () => {
  await writeVariant('A');
  const pc = new PreparedCompile(dir);
  await pc.prepare(3);
  const hashB = await writeVariant('B');
  const res = await pc.forEpoch(3, hashB);
  assert.ok(res.ok);
  assert.equal(res.snapshot.hash, hashB);
  assert.equal(banner(res), 'B');
});

test('a prepare for another epoch is not used; without a prepare the epoch is compiled', async () => {
  const hashC = await writeVariant('C');
  const pc = new PreparedCompile(dir);
  pc.prepare(4);
  const res = await pc.forEpoch(5, hashC);
  assert.ok(res.ok);
  assert.equal(res.snapshot.epoch, 5);
  assert.equal(banner(res), 'C');
  const fresh = await new PreparedCompile(dir).forEpoch(6, hashC);
  assert.ok(fresh.ok && fresh.snapshot.epoch === 6);
});
