// The hook event store's own failures: a path it cannot open, and events added after close.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { EventStore } from '../../src/events/event-store.js';
import { HookError } from '../../src/events/errors.js';
import { tempTree } from '../helpers/tmp.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a path that is a file: HOOK_STORE_OPEN naming the path', () => {
  const t = tempTree();
  cleanups.push(t.cleanup);
  const path = join(t.dir, 'hooks');
  writeFileSync(path, 'not a directory');
  assert.throws(() => EventStore.open(path), (e: unknown) => e instanceof HookError && e.code === 'HOOK_STORE_OPEN' && e.message.includes(path) && e.cause instanceof Error);
});

test('after close: add refuses with HOOK_STORE_CLOSED, remove is a no-op, close again is harmless; the events stay', async () => {
  const t = tempTree();
  cleanups.push(t.cleanup);
  const path = join(t.dir, 'hooks');
  const s = EventStore.open(path, undefined, 0);
  const a = s.add('h', '{"id":"a"}');
  await a.written;
  await s.durable();
  await s.close();
  assert.throws(() => s.add('h', '{}'), (e: unknown) => e instanceof HookError && e.code === 'HOOK_STORE_CLOSED');
  s.remove('h', [a.seq]);
  await s.close();
  const again = EventStore.open(path);
  cleanups.push(() => again.close());
  assert.deepEqual(again.scan().get('h'), [a.seq], 'the event is still queued');
  assert.equal(again.get('h', a.seq)?.r, '{"id":"a"}');
  assert.ok(again.add('h', '{}').seq > a.seq, 'sequence numbers go on from the stored ones');
});
