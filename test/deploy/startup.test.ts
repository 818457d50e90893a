import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, describe, test } from 'node:test';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { exitWithin, isReady, serveRoot } from './helpers.js';
import type { ServeRoot } from './helpers.js';

describe('serve start failures and defaults', () => {
  const children: ServerProcess[] = [];
  const roots: { cleanup(): void }[] = [];
  let blocker: Server | undefined;
  after(async () => {
    for (const c of children) await c.stop('SIGKILL');
    blocker?.close();
    for (const r of roots) r.cleanup();
  });

  test('a listener that cannot bind at start fails the start with a non-zero exit', async () => {
    const root: ServeRoot = await serveRoot();
    roots.push(root);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(root.smtpPort, '127.0.0.1', resolve));
    const kumo = startKumo(['serve', '-c', 'config'], { cwd: root.dir });
    children.push(kumo);
    const code = await exitWithin(kumo.child, 60_000);
    assert.notEqual(code, undefined, 'still running after 60 s');
    assert.equal(code, 1);
    const text = kumo.lines.map((l) => String(l.msg)).join('\n');
    assert.match(text, new RegExp(`kumo-ts: cannot start: listener smtp cannot start on 127\\.0\\.0\\.1:${root.smtpPort}: .*EADDRINUSE`), text);
    assert.ok(!kumo.lines.some(isReady));
    // what started before (spool, queue) was stopped again, releasing the spool lock
    assert.ok(kumo.lines.some((l) => l.msg === 'queue: stopped'), text);
  });

  test('serve with no ./config says which config it runs on', async () => {
    const cwd = tempTree({}, 'kumo-noconfig-');
    roots.push(cwd);
    // an empty KUMO_TS_CONFIG counts as unset
    const kumo = startKumo(['serve'], { cwd: cwd.dir, env: { KUMO_TS_CONFIG: '' } });
    children.push(kumo);
    // the example config's fixed ports may be taken on this machine: only the notice matters
    const line = await kumo.waitFor((l) => /running on the example config/.test(String(l.msg)), 60_000, 'the config notice');
    assert.match(String(line.msg), new RegExp(`no \\./config in ${cwd.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*example config shipped with kumo-ts \\(.*/config\\)`));
    await kumo.stop('SIGKILL');
  });
});
