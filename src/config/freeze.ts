import { yieldIfBusy } from './yield.js';
const blocked = () => {
  throw new TypeError('config snapshot is immutable');
};

/**
 * Deeply freezes a compiled snapshot. Maps and Sets get their mutators replaced by throwing
 * stubs (Object.freeze alone would not stop `map.set`), so any write to config throws.
 * Iterative and sliced with `yieldIfBusy` so that freezing a 10,000-domain config does not
 * stall the event loop. Typed arrays cannot be frozen and are left as they are (none are kept
 * in config).
 */
export async function deepFreezeAsync<T>(value: T): Promise<T> {
  const seen = new WeakSet<object>();
  const stack: unknown[] = [value];
  const order: object[] = [];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    order.push(v);
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
      Object.defineProperties(v, { set: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } });
    } else if (v instanceof Set) {
      for (const x of v) stack.push(x);
      Object.defineProperties(v, { add: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } });
    }
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d) stack.push(d.value);
    }
    await yieldIfBusy();
  }
  // freeze children before parents so a half-frozen graph is never observable as "frozen"
  for (let i = order.length - 1; i >= 0; i--) {
    Object.freeze(order[i]);
    if ((i & 1023) === 0) await yieldIfBusy();
  }
  return value;
}
