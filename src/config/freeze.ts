import { yieldIfBusy } from './yield.js';
const blocked = () => {
  throw new TypeError('config snapshot is immutable');
};

// A frozen Map or Set gets one of these as its prototype: the mutators throw, everything else
// is the real Map/Set's. One prototype swap costs a tenth of defining three own properties
// on each of a 10,000-domain snapshot's ~30,000 Maps.
const MAP_GUARDS = { set: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } };
const SET_GUARDS = { add: { value: blocked }, delete: { value: blocked }, clear: { value: blocked } };
const FROZEN_MAP = Object.create(Map.prototype, MAP_GUARDS) as object;
const FROZEN_SET = Object.create(Set.prototype, SET_GUARDS) as object;

/** A plain Map/Set takes the frozen prototype; a subclass keeps its own and gets the guards as own properties. */
function guard(v: object, plain: object, frozen: object, guards: PropertyDescriptorMap): void {
  if (Object.getPrototypeOf(v) === plain) Object.setPrototypeOf(v, frozen);
  else Object.defineProperties(v, guards);
}
const isWalkable = (x: unknown): x is object => x !== null && typeof x === 'object' && !ArrayBuffer.isView(x);

/** A data property's value (not a getter's: calling it could run anything) goes on the stack. */
function walkDescriptor(v: object, key: string | symbol, stack: object[]): void {
  const d = Object.getOwnPropertyDescriptor(v, key);
  if (d && 'value' in d && isWalkable(d.value)) stack.push(d.value as object);
}

/**
 * Deeply freezes a compiled snapshot. Maps and Sets get a prototype whose mutators are
 * throwing stubs (Object.freeze alone would not stop `map.set`), so any write to config throws.
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
      if (v instanceof Map) guard(v, Map.prototype, FROZEN_MAP, MAP_GUARDS);
      else if (v instanceof Set) guard(v, Set.prototype, FROZEN_SET, SET_GUARDS);
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
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto === Object.prototype || proto === null) {
      // a plain data object (most of a snapshot): its own enumerable values read directly, a
      // third of the time of Reflect.ownKeys + a descriptor per key. The compiler builds these
      // from parsed data: no accessors, no non-enumerable keys (class instances, which may
      // have them, take the descriptor path below and their getters are never called).
      for (const key in v) {
        const x = (v as Record<string, unknown>)[key];
        if (isWalkable(x) && Object.prototype.hasOwnProperty.call(v, key)) stack.push(x);
      }
      for (const key of Object.getOwnPropertySymbols(v)) walkDescriptor(v, key, stack);
      continue;
    }
    for (const key of Reflect.ownKeys(v)) walkDescriptor(v, key, stack);
  }
  return value;
}
