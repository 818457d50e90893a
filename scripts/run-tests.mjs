#!/usr/bin/env node
// `npm test`: runs every dist/test/**/*.test.js with node's test runner. Node 20 takes no globs
// and, given a directory, also runs every other .js under a test/ directory (helpers such as
// dist/test/queue/lab.js), so the files are listed here. Extra arguments: name filters
// (`npm test -- shaping queue/crash` runs the files whose path contains one of them).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => join(dir, f))
  .filter((f) => !filters.length || filters.some((x) => relative(dir, f).includes(x)))
  .sort();
if (!files.length) {
  console.error(`no test files in ${dir}${filters.length ? ` matching ${filters.join(', ')}` : ''} (did tsc run?)`);
  process.exit(1);
}
// --test-force-exit: a file whose tests are done exits even if a leaked handle (a server a
// failed before-hook could not stop) would keep it open, instead of hanging the whole run
// [server] workers defaults to one process per core; the tests are written for one process
// (the workers tests set `workers` themselves), so KUMO_TS_WORKERS=1 unless the caller chose
// (`KUMO_TS_WORKERS=2 npm test` runs the whole suite with reception workers)
const env = { ...process.env, KUMO_TS_WORKERS: process.env.KUMO_TS_WORKERS || '1' };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-force-exit', ...files], { stdio: 'inherit', cwd: root, env });
process.exit(r.status ?? 1);
