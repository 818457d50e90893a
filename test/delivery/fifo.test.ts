import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../../src/delivery/fifo.js';

/** The ready queue's FIFO: order kept through shift, unshift (put back), remove and compaction. */
function drain<T>(q: Fifo<T>): T[] {
  const out: T[] = [];
  for (let x; (x = q.shift()) !== undefined; ) out.push(x);
  return out;
}

test('unshift puts an item back in front, on a fresh queue and after shifts', () => {
  const q = new Fifo<number>();
  q.unshift(2); // nothing shifted yet: the array grows at the front
  q.push(3);
  q.unshift(1);
  assert.equal(q.length, 3);
  assert.equal(q.shift(), 1);
  q.unshift(0); // reuses the spent slot
  assert.deepEqual(drain(q), [0, 2, 3]);
  assert.equal(q.shift(), undefined);
  assert.equal(q.length, 0);
});

test('after more than 1024 shifts the spent part is dropped: order and length stay right', () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 3000; i++) q.push(i);
  for (let i = 0; i < 2000; i++) assert.equal(q.shift(), i);
  assert.equal(q.length, 1000);
  q.unshift(1999);
  q.push(3000);
  assert.deepEqual(drain(q), Array.from({ length: 1002 }, (_, i) => 1999 + i));
});

test('remove takes the matching items out, keeps the order of the rest, and the queue works on', () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 10; i++) q.push(i);
  q.shift();
  q.shift();
  assert.deepEqual(q.remove((x) => x % 2 === 1), [3, 5, 7, 9]);
  assert.equal(q.length, 4);
  q.unshift(1);
  q.push(10);
  assert.deepEqual(drain(q), [1, 2, 4, 6, 8, 10]);
  assert.deepEqual(q.remove(() => true), []);
});
