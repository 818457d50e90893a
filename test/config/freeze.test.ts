// deepFreezeAsync (src/config/freeze.ts) on shapes the compiled snapshot may hold: nested Maps
// and Sets (keys and values), cycles, shared subtrees, accessors and typed arrays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepFreezeAsync } from '../../src/config/freeze.js';

test('every object reachable through objects, arrays, Map keys and values and Set members is frozen; Map and Set writes throw', async () => {
  const key = { k: 1 };
  const inSet = { s: [1, 2] };
  const shared = { n: 1 };
  const root: Record<string, unknown> = { a: { b: { c: [shared] } }, m: new Map([[key, { v: shared }]]), s: new Set([inSet]), bytes: new Uint8Array(2) };
  root.self = root; // a cycle ends the walk instead of looping
  const frozen = await deepFreezeAsync(root);
  assert.equal(frozen, root);
  for (const o of [root, root.a, (root.a as { b: object }).b, shared, key, inSet, inSet.s, (root.m as Map<object, object>).get(key)!].entries()) assert.ok(Object.isFrozen(o[1]), `object #${o[0]}`);
  const m = root.m as Map<unknown, unknown>;
  const s = root.s as Set<unknown>;
  for (const write of [() => m.set('x', 1), () => m.delete(key), () => m.clear(), () => s.add(1), () => s.delete(inSet), () => s.clear()]) assert.throws(write, /config snapshot is immutable/);
  assert.equal(m.size, 1);
  assert.equal(s.size, 1);
  assert.ok(m.has(key) && s.has(inSet), 'lookups still work');
  assert.throws(() => ((root.a as { x?: number }).x = 1), TypeError);
  // a typed array cannot be frozen: it is left writable rather than making the freeze throw
  (root.bytes as Uint8Array)[0] = 7;
  assert.equal((root.bytes as Uint8Array)[0], 7);
});

test('a large graph is frozen completely, children before parents', async () => {
  const domains = new Map<string, { mx: string[] }>();
  for (let i = 0; i < 5000; i++) domains.set(`d${i}.example`, { mx: [`mx${i}`] });
  await deepFreezeAsync({ domains });
  for (const v of domains.values()) assert.ok(Object.isFrozen(v) && Object.isFrozen(v.mx));
});

test('plain objects, null-prototype objects and class instances: values under string and symbol keys are frozen; a class instance\'s accessor is not called', async () => {
  const sym = Symbol('s');
  const underSymbol = { x: 1 };
  const inNullProto = { y: 2 };
  const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { inNullProto });
  class Holder {
    readonly field = { z: 3 };
    get computed(): never {
      throw new Error('a getter must not run');
    }
  }
  const holder = new Holder();
  let called = 0;
  Object.defineProperty(holder, 'lazy', { enumerable: true, get: () => (called++, { w: 4 }) });
  const plain: Record<string | symbol, unknown> = { [sym]: underSymbol, nullProto, holder };
  await deepFreezeAsync(plain);
  assert.equal(called, 0, 'an own accessor of a class instance is not called');
  for (const [name, o] of Object.entries({ plain, underSymbol, nullProto, inNullProto, holder, field: holder.field })) assert.ok(Object.isFrozen(o), name);
});

test('a Map subclass keeps its methods and its writes throw too', async () => {
  class Counted extends Map<string, number> {
    total(): number {
      return [...this.values()].reduce((a, b) => a + b, 0);
    }
  }
  const c = new Counted([['a', 1], ['b', 2]]);
  await deepFreezeAsync({ c });
  assert.equal(c.total(), 3);
  assert.throws(() => c.set('x', 1), /config snapshot is immutable/);
  assert.ok(c instanceof Counted && Object.isFrozen(c));
});
