// SIGKILL for test children that still records their coverage during `npm run coverage`
// (see coverage-flush.ts). Outside a coverage run: spawn options unchanged, a plain SIGKILL.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FLUSHED_MARKER } from './coverage-flush.js';

const PRELOAD = fileURLToPath(new URL('./coverage-flush.js', import.meta.url));
const flushing = new WeakSet<ChildProcess>();

/** The env for a kumo-ts child: with the coverage preload when coverage is being collected. */
export function coverageEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!process.env.NODE_V8_COVERAGE) return env;
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(PRELOAD)}`.trim() };
}

/** Marks a child spawned with coverageEnv (its stderr must be a pipe). */
export function trackCoverage(child: ChildProcess): ChildProcess {
  if (process.env.NODE_V8_COVERAGE && child.stderr) flushing.add(child);
  return child;
}

/** SIGKILL, after the child wrote its coverage (at most a few seconds of waiting). */
export async function killAfterCoverage(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (flushing.has(child)) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, 5_000);
      function done() {
        clearTimeout(t);
        child.stderr!.off('data', onData);
        child.off('exit', done);
        resolve();
      }
      let seen = '';
      function onData(d: Buffer | string) {
        seen = (seen + d.toString()).slice(-200);
        if (seen.includes(FLUSHED_MARKER)) done();
      }
      child.stderr!.on('data', onData);
      child.once('exit', done);
      child.kill('SIGUSR2');
    });
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
