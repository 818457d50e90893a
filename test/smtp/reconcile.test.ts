import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SmtpClient, freePort, message, tempDir, waitFor, writeFiles } from './helpers.js';
import { ServerProcess } from './server-process.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** Config with a queue that can never deliver (a closed loopback port), so nothing leaves the host. */
function config(listeners: string, closedPort: number): Record<string, string> {
  return {
    'kumo.toml': `
[http]
enabled = false

[spool]
path = "data/spool"

[logs]
path = "data/logs"

[dns]
mode = "static"
zone_file = "zone.toml"
${listeners}`,
    'zone.toml': '',
    'queues.toml': `[queue.default]\nmx_list = ["[127.0.0.1]:${closedPort}"]\nretry_interval = "1h"\n`,
  };
}

describe('listeners follow the config while `kumo-ts serve` runs', () => {
  let root: string;
  let server: ServerProcess;
  let pA: number;
  let pB: number;
  let closed: number;

  before(async () => {
    root = tempDir('kumo-reconcile-');
    [pA, pB, closed] = [await freePort(), await freePort(), await freePort()];
    writeFiles(join(root, 'config'), config(`[listener.a]\nlisten = "127.0.0.1:${pA}"\nbanner = "alpha"\n`, closed));
    server = await ServerProcess.start(root);
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('added, changed and removed without a restart; open sessions finish', async () => {
    const pid = server.pid;
    const old = await SmtpClient.connect(pA);
    assert.match((await old.reply()).text, /ESMTP alpha$/);
    await old.hello('old.test', false);

    // add listener b, change a's banner
    writeFiles(join(root, 'config'), config(`[listener.a]\nlisten = "127.0.0.1:${pA}"\nbanner = "beta"\n[listener.b]\nlisten = "127.0.0.1:${pB}"\n`, closed));
    await waitFor(async () => !(await refused(pB)), 8000, 50);
    const fresh = await SmtpClient.connect(pA);
    assert.match((await fresh.reply()).text, /ESMTP beta$/, 'a new session sees the changed banner');
    await fresh.hello('fresh.test', false);
    assert.equal((await old.send('a@example.org', ['x@example.test'], message())).final?.code, 250, 'the old session still works');

    // remove a: no new connections, but the open sessions finish their work
    writeFiles(join(root, 'config'), config(`[listener.b]\nlisten = "127.0.0.1:${pB}"\n`, closed));
    await waitFor(() => refused(pA), 8000, 50);
    assert.equal((await fresh.send('a@example.org', ['y@example.test'], message())).final?.code, 250, 'a session opened before the removal completes');
    assert.equal((await old.send('a@example.org', ['z@example.test'], message())).final?.code, 250);
    await fresh.quit();
    await old.quit();

    const b = await SmtpClient.connect(pB);
    await b.hello();
    assert.equal((await b.send('a@example.org', ['w@example.test'], message())).final?.code, 250);
    await b.quit();

    assert.equal(server.pid, pid);
    assert.equal(server.child.exitCode, null, 'never restarted');
    assert.equal(server.lines.filter((l) => l.includes('"msg":"kumo-ts starting"')).length, 1);
    await server.waitForLog(/"msg":"listener a: drained"/, 5000);
  });
});
