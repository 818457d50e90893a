// What a test needs from the machine (redis-server, rabbitmq-server, postfix, unbound, pebble,
// ../shared fixtures). Locally a missing one skips the test with the reason; under CI (the CI
// environment variable set) it fails instead, so that CI cannot go green by skipping.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { TestContext } from 'node:test';

export const IN_CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

const found = new Map<string, boolean>();

/** true when `name` is an executable on PATH (or in /usr/sbin, where Postfix lives). */
export function haveTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v "$1" || test -x "/usr/sbin/$1"`, 'sh', name], { stdio: 'ignore' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

function missing(reason: string): string {
  // in place of the tests that would be skipped: one that fails and says what is missing
  if (IN_CI) test(`requirement: ${reason}`, () => {
    throw new Error(`${reason}; CI must provide it (.ci/run installs the packages)`);
  });
  return reason;
}

/** For `{ skip }` of a describe or test: false when `tool` is installed, else the reason (a failing test under CI). */
export function requireTool(tool: string): string | false {
  return haveTool(tool) ? false : missing(`${tool} is not installed`);
}

/** For `{ skip }`: false when `path` exists, else the reason (a failing test under CI). */
export function requirePath(path: string, what: string): string | false {
  return existsSync(path) ? false : missing(`${what} (${path}) is absent`);
}

/** Inside a test: true when `tool` is installed; else skips the test locally and fails it under CI. */
export function needTool(t: TestContext, tool: string): boolean {
  if (haveTool(tool)) return true;
  const reason = `${tool} is not installed`;
  if (IN_CI) throw new Error(`${reason}; CI must provide it (.ci/run installs the packages)`);
  t.skip(reason);
  return false;
}
