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
