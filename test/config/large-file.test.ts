// Issue 14 item 1: config files of WORKER_THRESHOLD (32 KiB) and more are parsed and schema-validated in a worker
// thread (src/config/parse-worker.ts) and re-assembled on the main thread. The same answers
// as the inline path: every key, issues at the right file:line, lazily located semantic errors;
// and the idle worker does not keep the process alive (a test file that hangs at its end fails).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileConfig } from '../../src/config/compile.js';
import { WORKER_THRESHOLD } from '../../src/config/load-async.js';
import { queueParams } from '../../src/config/queues.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));

const MAIN = `
[server]
smtp = false
[http]
enabled = false
[spool]
path = "spool"
[dns]
mode = "static"
zone_file = "zone.toml"
`;

/** A queues.toml over the worker threshold: `n` domains, each with its own retry_interval. */
function bigQueues(n: number, tail = ''): string {
  const parts = ['tenant_header = "X-Tenant"\n'];
  for (let i = 0; i < n; i++) parts.push(`[queue.'d${i}.example']\nretry_interval = "${(i % 50) + 1}m"\nmax_age = "${(i % 5) + 1}d"\n`);
  return parts.join('') + tail;
}

function root(queues: string) {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', 'queues.toml': queues });
  trees.push(t);
  return t.dir;
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

test('a queues file over the worker threshold compiles through the worker: every domain with its own values', async () => {
  const text = bigQueues(4000);
  assert.ok(text.length >= WORKER_THRESHOLD * 1.5, `${text.length} bytes: over the worker threshold`);
  const res = await compileConfig({ root: root(text) });
  assert.ok(res.ok, JSON.stringify(!res.ok && res.issues.slice(0, 3)));
  const q = res.snapshot.queues;
  assert.equal(q.tenantHeader, 'X-Tenant');
  for (const i of [0, 1, 1234, 3999]) {
    const p = queueParams(q, `d${i}.example`, undefined, undefined);
    assert.equal(p.retryIntervalMs, ((i % 50) + 1) * 60_000, `d${i}`);
    assert.equal(p.maxAgeMs, ((i % 5) + 1) * 86_400_000, `d${i}`);
  }
});

test('a schema error near the end of a large file is reported at its line', async () => {
  const text = bigQueues(4000, `[queue.'last.example']\nretry_intervall = "5m"\n`);
  const res = await compileConfig({ root: root(text) });
  assert.ok(!res.ok);
  const issue = res.issues.find((i) => i.file.endsWith('queues.toml'));
  assert.ok(issue, JSON.stringify(res.issues));
  assert.equal(issue.line, lineOf(text, 'retry_intervall'));
  assert.match(issue.message, /retry_intervall/);
});

test('a bad value deep in a large file (a semantic error) is located by the lazy re-parse', async () => {
  const text = bigQueues(4000).replace(`[queue.'d2500.example']\nretry_interval = "1m"`, `[queue.'d2500.example']\nretry_interval = "soon"`);
  assert.ok(text.includes('"soon"'));
  const res = await compileConfig({ root: root(text) });
  assert.ok(!res.ok);
  const issue = res.issues.find((i) => i.file.endsWith('queues.toml'));
  assert.ok(issue, JSON.stringify(res.issues));
  assert.equal(issue.line, lineOf(text, '"soon"'));
});

test('a syntax error in a large file is reported at its line, not as a crash of the worker', async () => {
  const text = bigQueues(4000, `[queue.'broken.example'\nretry_interval = "5m"\n`);
  const res = await compileConfig({ root: root(text) });
  assert.ok(!res.ok);
  const issue = res.issues.find((i) => i.file.endsWith('queues.toml'));
  assert.ok(issue, JSON.stringify(res.issues));
  assert.equal(issue.line, lineOf(text, "[queue.'broken.example'"));
  assert.notEqual(issue.code, 'internal');
});

test('`kumo-ts validate` on a large config exits when done (the idle parse worker holds no reference)', { timeout: 90_000 }, async () => {
  const dir = root(bigQueues(4000));
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'validate', '--config', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 60_000);
    child.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(code, 0, `exit code ${code} (null: still running after 60 s); output:\n${out}`);
});
