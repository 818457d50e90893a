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

/**
 * Between two steps of a compile that do not slice themselves (e.g. compiling 1,000 egress
 * sources, ~5 ms): a fresh slice unless this one has only just begun. Without it a step ran
 * on at the end of the previous step's last 8 ms slice, and with a GC pause in the same turn
 * the event loop stalled for over 20 ms.
 */
const STEP_SLICE_MS = 2;
export function yieldBetweenSteps(): Promise<void> | void {
  return yieldIfBusy(STEP_SLICE_MS);
}
