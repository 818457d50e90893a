import { yieldIfBusy } from './yield.js';
const blocked = () => {
  throw new TypeError('config snapshot is immutable');
};

const MAP_GUARDS = { set: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } };
const SET_GUARDS = { add: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } };
const isWalkable = (x: unknown): x is object => x !== null && typeof x === 'object' && !ArrayBuffer.isView(x);

/**
 * Deeply freezes a compiled snapshot. Maps and Sets get their mutators replaced by throwing
 * stubs (Object.freeze alone would not stop `map.set`), so any write to config throws.
 *
 * Iterative and sliced with `yieldIfBusy` so that freezing a
 * 10,000-domain config (≈ 200,000 objects) does not stall the event loop. Parents first: an
 * object is frozen when it is taken off the stack, before its children (the snapshot is
 * published only after this returns, so the order is not observable).
 *
 * Being frozen is what marks an object as visited: a set of every visited object cost a third
 * of the walk (and a WeakSet of ~10^5 objects rehashes in one go, a 50+ ms stall). An object
 * found frozen is either one this walk froze (a shared subtree, a cycle) or one frozen before
 * (DomainMap freezes itself, not its Maps): those, and only those, go into a set and are
 * walked once more, so each object is walked at most twice. Arrays are walked by index.
 */
export async function deepFreezeAsync<T>(value: T): Promise<T> {
  if (!isWalkable(value)) return value;
  const stack: object[] = [value];
  const again = new Set<object>();
  let n = 0;
  while (stack.length) {
    const v = stack.pop()!;
    if (Object.isFrozen(v)) {
      if (again.has(v)) continue;
      again.add(v);
    } else {
      if (v instanceof Map) Object.defineProperties(v, MAP_GUARDS);
      else if (v instanceof Set) Object.defineProperties(v, SET_GUARDS);
      Object.freeze(v);
    }
    if ((++n & 15) === 0) await yieldIfBusy();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (isWalkable(v[i])) stack.push(v[i] as object);
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        if (isWalkable(k)) stack.push(k);
        if (isWalkable(x)) stack.push(x);
      }
    } else if (v instanceof Set) {
      for (const x of v) if (isWalkable(x)) stack.push(x);
    }
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d && isWalkable(d.value)) stack.push(d.value as object);
    }
  }
  return value;
}
