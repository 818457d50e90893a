import { yieldIfBusy } from './yield.js';
const blocked = () => {
  throw new TypeError('config snapshot is immutable');
};

/**
 * Deeply freezes a compiled snapshot. Maps and Sets get their mutators replaced by throwing
 * stubs (Object.freeze alone would not stop `map.set`), so any write to config throws.
 */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value as object)) return value;
  const obj = value as object;
  seen.add(obj);
  if (obj instanceof Map) {
    for (const [k, v] of obj) {
      deepFreeze(k, seen);
      deepFreeze(v, seen);
    }
    Object.defineProperties(obj, { set: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } });
  } else if (obj instanceof Set) {
    for (const v of obj) deepFreeze(v, seen);
    Object.defineProperties(obj, { add: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } });
  } else if (ArrayBuffer.isView(obj)) {
    return value; // typed arrays cannot be frozen; none are kept in config
  }
  for (const key of Reflect.ownKeys(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d && 'value' in d) deepFreeze(d.value, seen);
  }
  Object.freeze(obj);
  return value;
}

/**
 * deepFreeze for large snapshots, iterative and sliced with `yieldIfBusy` so that freezing a
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
