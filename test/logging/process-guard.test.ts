import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../src/logging/logger.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { installProcessGuard } from '../../src/process-guard.js';

function guarded(intervalMs = 60_000) {
  const lines: Record<string, unknown>[] = [];
  const exits: number[] = [];
  const proc = new EventEmitter();
  const uninstall = installProcessGuard({ proc, intervalMs, exit: (c) => exits.push(c), log: createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) }) });
  return { proc, lines, exits, uninstall };
}

describe('process guard', () => {
  test('a stray rejection is logged with its origin and stack; the process is not ended', () => {
    const g = guarded();
    const err = new Error('Commit failed (see commitError for details)');
    g.proc.emit('unhandledRejection', err, Promise.resolve());
    assert.equal(g.lines.length, 1);
    const l = g.lines[0]!;
    assert.equal(l.level, 'error');
    assert.match(String(l.msg), /unhandled promise rejection; the process keeps running/);
    assert.equal(l.error, 'Commit failed (see commitError for details)');
    assert.match(String(l.origin), /process-guard\.test\.js/, 'origin: the frame that created the error');
    assert.match(String(l.stack), /Commit failed/);
    assert.deepEqual(g.exits, []);
    g.uninstall();
    assert.equal(g.proc.listenerCount('unhandledRejection'), 0, 'uninstall removes the handlers');
  });

  test('the same error from the same place is logged once per interval, with a count', async () => {
    const g = guarded(100);
    const make = () => Object.assign(new Error('Input/output error'), { code: 5 });
    for (let i = 0; i < 50; i++) g.proc.emit('unhandledRejection', make(), Promise.resolve());
    assert.equal(g.lines.length, 1, 'one line for 50 identical rejections');
    assert.equal(g.lines[0]!.error_code, 5);
    await new Promise((r) => setTimeout(r, 150));
    g.proc.emit('unhandledRejection', make(), Promise.resolve());
    assert.equal(g.lines.length, 2);
    assert.equal(g.lines[1]!.repeated, 49, 'the suppressed ones are counted');
    g.proc.emit('unhandledRejection', new Error('something else'), Promise.resolve());
    assert.equal(g.lines.length, 3, 'a different error is logged at once');
    g.uninstall();
  });

  test('an operational uncaught exception (socket error without a listener) is logged, not fatal', () => {
    const g = guarded();
    g.proc.emit('uncaughtException', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104 }));
    assert.equal(g.lines.length, 1);
    assert.match(String(g.lines[0]!.msg), /uncaught exception; the process keeps running/);
    assert.equal(g.lines[0]!.error_code, 'ECONNRESET');
    assert.deepEqual(g.exits, []);
    g.uninstall();
  });

  test('programmer errors stay visible: flagged in a rejection, fatal when thrown', () => {
    const g = guarded();
    g.proc.emit('unhandledRejection', new TypeError("Cannot read properties of undefined (reading 'x')"), Promise.resolve());
    assert.equal(g.lines[0]!.programmer_error, true);
    assert.deepEqual(g.exits, [], 'a rejection never ends the process');
    g.proc.emit('uncaughtException', new ReferenceError('foo is not defined'));
    assert.equal(g.lines.length, 2);
    assert.match(String(g.lines[1]!.msg), /uncaught exception \(programmer error\): exiting/);
    assert.match(String(g.lines[1]!.stack), /ReferenceError: foo is not defined/);
    assert.deepEqual(g.exits, [70]);
    // undici's network failure is a TypeError with a cause: operational
    g.proc.emit('uncaughtException', new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }));
    assert.deepEqual(g.exits, [70]);
    g.uninstall();
  });

  test('a rejection with a non-Error value says what it was', () => {
    const g = guarded();
    g.proc.emit('unhandledRejection', { status: 'nope' }, Promise.resolve());
    assert.equal(g.lines[0]!.error, '{"status":"nope"}');
    assert.match(String(g.lines[0]!.origin), /not an Error/);
    g.uninstall();
  });

  test('a non-Error value JSON cannot show (a BigInt, a circular object) is still logged, as its string form', () => {
    const g = guarded();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    g.proc.emit('unhandledRejection', 10n, Promise.resolve());
    g.proc.emit('unhandledRejection', circular, Promise.resolve());
    assert.deepEqual(g.lines.map((l) => l.error), ['10', '[object Object]']);
    assert.deepEqual(g.exits, []);
    g.uninstall();
  });

  test('in a real process: stray rejections and emitter errors are logged and it keeps running; a thrown TypeError ends it', () => {
    const guard = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'src', 'process-guard.js')).href;
    const script = (tail: string) => `
      const { installProcessGuard } = await import(${JSON.stringify(guard)});
      const { EventEmitter } = await import('node:events');
      installProcessGuard();
      Promise.reject(new Error('stray rejection'));
      setTimeout(() => new EventEmitter().emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 10);
      setTimeout(() => { ${tail} }, 100);
    `;
    const run = (tail: string) => spawnSync(process.execPath, ['--input-type=module', '-e', script(tail)], { encoding: 'utf8', timeout: 20_000 });
    const ok = run(`console.log('still alive'); process.exit(0);`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /still alive/);
    const logged = ok.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(logged.map((l) => l.error), ['stray rejection', 'read ECONNRESET']);
    assert.ok(logged.every((l) => l.level === 'error' && typeof l.stack === 'string'));

    const bad = run(`null.x;`);
    assert.equal(bad.status, 70, 'a programmer error thrown at top level ends the process');
    assert.match(bad.stderr, /programmer error\): exiting/);
  });
});
