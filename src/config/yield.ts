/**
 * Cooperative slicing for long config work on the main thread: call `yieldIfBusy()` inside
 * loops; it yields to the event loop once the current slice has run for `sliceMs`, so a large
 * compile never stalls SMTP sessions for long.
 */
let sliceStart = performance.now();
export const SLICE_MS = 8;

export function yieldIfBusy(sliceMs = SLICE_MS): Promise<void> | void {
  if (performance.now() - sliceStart < sliceMs) return;
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      sliceStart = performance.now();
      resolve();
    }),
  );
}
