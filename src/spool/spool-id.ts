import { randomBytes } from 'node:crypto';

/**
 * Spool ids: 32 lower-case hex digits, time-ordered so that the spool's key order is arrival
 * order (recovery replays oldest first): 12 digits of epoch ms, 4 of a per-ms sequence,
 * 16 random (so ids from different processes or restarts never collide).
 */
let lastMs = 0;
let seq = 0;
let pool = Buffer.alloc(0);
let poolPos = 0;

export function newSpoolId(now = Date.now()): string {
  if (now === lastMs) seq = (seq + 1) & 0xffff;
  else {
    lastMs = now;
    seq = 0;
  }
  if (poolPos + 8 > pool.length) {
    pool = randomBytes(8 * 512);
    poolPos = 0;
  }
  const rnd = pool.toString('hex', poolPos, poolPos + 8);
  poolPos += 8;
  return now.toString(16).padStart(12, '0') + seq.toString(16).padStart(4, '0') + rnd;
}

export function isSpoolId(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}

/** When the message with this id was created (epoch ms). */
export function spoolIdTime(id: string): number {
  return parseInt(id.slice(0, 12), 16);
}
