// Fixed TCP ports for configs that need one (a child `kumo-ts serve` cannot report a port 0
// back to every test). "Bind port 0, read it, close it" races: between the close and the
// server's bind, another test file running at the same time may be handed the same port by
// the kernel (its own port-0 bind or an outgoing connection's local port). So:
//  - ports come from below the kernel's ephemeral range (which port 0 and outgoing
//    connections draw from), so nothing the kernel hands out can take one meanwhile;
//  - each is reserved across the test processes of this machine by an exclusively created
//    lock file naming the owner pid (a dead owner's lock is taken over);
//  - and it must be bindable on `host` now (nothing listens on it).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_DIR = join(tmpdir(), 'kumo-ts-test-ports');
const mine = new Set<number>();
let cleanupHooked = false;

function ephemeralStart(): number {
  try {
    const lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(lo) && lo > 12_000) return lo;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152
  }
  return 32_768;
}

const RANGE_LO = 10_000;
const RANGE_HI = Math.min(ephemeralStart(), 49_152) - 1;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the cross-process lock of `port`; false if a live process holds it. */
function reserve(port: number): boolean {
  const file = join(LOCK_DIR, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const owner = Number(readFileSync(file, 'utf8') || 0);
  if (owner === process.pid || alive(owner)) return false;
  // a dead test process's lock: take it over (remove, then race for it like a fresh one)
  rmSync(file, { force: true });
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function hookCleanup(): void {
  if (cleanupHooked) return;
  cleanupHooked = true;
  process.once('exit', () => {
    for (const p of mine) rmSync(join(LOCK_DIR, String(p)), { force: true });
  });
}

/** A TCP port on `host` reserved for this test process (for configs that need a fixed port). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  mkdirSync(LOCK_DIR, { recursive: true });
  hookCleanup();
  const span = RANGE_HI - RANGE_LO + 1;
  for (let i = 0; i < 500; i++) {
    const port = RANGE_LO + Math.floor(Math.random() * span);
    if (mine.has(port) || !reserve(port)) continue;
    if (await bindable(port, host)) {
      mine.add(port);
      return port;
    }
    rmSync(join(LOCK_DIR, String(port)), { force: true });
  }
  throw new Error(`no free TCP port found on ${host} in ${RANGE_LO}-${RANGE_HI}`);
}
