import { yieldIfBusy } from './yield.js';
const blocked = () => {
  throw new TypeError('config snapshot is immutable');
};

/**
 * Deeply freezes a compiled snapshot. Maps and Sets get their mutators replaced by throwing
 * stubs (Object.freeze alone would not stop `map.set`), so any write to config throws.
 * Iterative and sliced with `yieldIfBusy` so that freezing a
 * 10,000-domain config does not stall the event loop. One pass, parents first: an object is
 * frozen once its children are on the stack (the snapshot is published only after this
 * returns, so the order is not observable). Visited objects are kept in a Set, not a WeakSet:
 * growing a WeakSet of ~10^5 objects rehashes it in one go, a 50+ ms stall. Already-frozen
 * objects are still walked (DomainMap freezes itself, not its Maps).
 */
export async function deepFreezeAsync<T>(value: T): Promise<T> {
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  let n = 0;
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
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
    Object.freeze(v);
    if ((++n & 15) === 0) await yieldIfBusy();
  }
  return value;
}
