import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueName, queueName } from '../../src/queue/naming.js';
import { retryDelay } from '../../src/queue/retry.js';
import { TimerHeap } from '../../src/queue/timer-heap.js';

test('scheduled queue names: campaign:tenant@domain!routing_domain with absent parts omitted', () => {
  const cases: [Parameters<typeof queueName>[0], string][] = [
    [{ domain: 'example.com' }, 'example.com'],
    [{ domain: 'example.com', tenant: 't1' }, 't1@example.com'],
    [{ domain: 'example.com', tenant: 't1', campaign: 'c1' }, 'c1:t1@example.com'],
    [{ domain: 'example.com', campaign: 'c1' }, 'c1:@example.com'],
    [{ domain: 'example.com', routingDomain: 'relay.net' }, 'example.com!relay.net'],
    [{ domain: 'example.com', tenant: 't1', campaign: 'c1', routingDomain: 'relay.net' }, 'c1:t1@example.com!relay.net'],
  ];
  for (const [parts, name] of cases) {
    assert.equal(queueName(parts), name);
    const back = parseQueueName(name);
    assert.equal(queueName(back), name);
    assert.equal(back.domain, parts.domain);
  }
});

test('retry delay: retry_interval first, doubling with jitter, capped by max_retry_interval', () => {
  const mid = () => 0.5;
  assert.equal(retryDelay(1, 1000, undefined, mid), 1000);
  assert.equal(retryDelay(2, 1000, undefined, mid), 2000);
  assert.equal(retryDelay(3, 1000, undefined, mid), 4000);
  assert.equal(retryDelay(10, 1000, 60_000, mid), 60_000);
  assert.equal(retryDelay(10, 1000, 60_000, () => 0.999), 60_000, 'jitter never exceeds the cap');
  for (let i = 0; i < 100; i++) {
    const d = retryDelay(1, 20 * 60_000);
    assert.ok(d >= 18 * 60_000 && d <= 22 * 60_000, `${d}`);
  }
});

test('one timer heap fires items in due order, many at once', async () => {
  const fired: number[] = [];
  const heap = new TimerHeap<number>((items) => fired.push(...items));
  const now = Date.now();
  for (let i = 0; i < 1000; i++) heap.add(i, now + 20 + ((i * 7919) % 50));
  heap.add(-1, now); // due now
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(fired.length, 1001);
  assert.equal(fired[0], -1);
  const dueOf = (i: number) => (i < 0 ? 0 : 20 + ((i * 7919) % 50));
  for (let i = 1; i < fired.length; i++) assert.ok(dueOf(fired[i - 1]) <= dueOf(fired[i]));
  heap.stop();
});
