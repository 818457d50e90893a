import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOrThrow } from '../../src/config/compile.js';
import { EXAMPLE_CONFIG } from '../../src/paths.js';

test('the snapshot is deeply immutable: every write throws', async () => {
  const snap = await compileOrThrow({ root: EXAMPLE_CONFIG });
  assert.ok(Object.isFrozen(snap));
  assert.throws(() => {
    (snap as { epoch: number }).epoch = 99;
  }, TypeError);
  assert.throws(() => {
    (snap.main.spool as { path: string }).path = '/tmp/x';
  }, TypeError);
  const listeners = snap.main.listeners as Map<string, unknown>;
  assert.throws(() => listeners.set('evil', {}), /immutable/);
  assert.throws(() => listeners.delete('smtp'), /immutable/);
  assert.throws(() => listeners.clear(), /immutable/);
  const l = snap.main.listeners.get('smtp')!;
  assert.throws(() => {
    (l.listen as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (snap.warnings as unknown[]).push(1);
  }, TypeError);
  // frozen lookups still work
  assert.ok(l.relayHosts.has('127.0.0.1'));
  assert.ok(!l.relayHosts.has('192.0.2.1'));
});

test('the example config compiles', async () => {
  const snap = await compileOrThrow({ root: EXAMPLE_CONFIG });
  assert.equal(snap.main.listeners.get('smtp')?.listen.port, 2525);
  assert.equal(snap.main.http.listen.port, 8000);
  assert.equal(snap.epoch, 1);
  assert.match(snap.hash, /^[0-9a-f]{64}$/);
});
