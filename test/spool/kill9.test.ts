import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { SmtpClient, freePort, message, tempDir, writeFiles } from '../smtp/helpers.js';
import { ServerProcess } from '../smtp/server-process.js';

/** Message-IDs of every message in the spool at `path` (read with the server stopped). */
async function spooledMessageIds(path: string): Promise<Set<string>> {
  const spool = LmdbSpool.open({ path });
  const ids = new Set<string>();
  try {
    for (const id of spool.ids()) {
      const body = (await spool.getBody(id))?.toString('latin1') ?? '';
      const m = /^Message-ID: <([^>]+)>/im.exec(body);
      if (m) ids.add(m[1]!);
    }
  } finally {
    await spool.close();
  }
  return ids;
}

describe('kill -9 under load', () => {
  const root = tempDir('kumo-kill9-');
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('every message that got a 250 is in the spool after the crash and after a restart', async () => {
    const port = await freePort();
    const closed = await freePort();
    writeFiles(join(root, 'config'), {
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
[listener.smtp]
listen = "127.0.0.1:${port}"
`,
      'zone.toml': '',
      // the queue can never deliver (closed loopback port): messages stay spooled
      'queues.toml': `[queue.default]\nmx_list = ["[127.0.0.1]:${closed}"]\nretry_interval = "1h"\n`,
    });
    server = await ServerProcess.start(root);

    const acked = new Set<string>();
    let sent = 0;
    let stop = false;
    const worker = async (w: number) => {
      let c: SmtpClient;
      try {
        c = await SmtpClient.connect(port);
        await c.hello(`load${w}.test`);
      } catch {
        return;
      }
      while (!stop) {
        const mid = `w${w}-${sent++}@kill9.test`;
        try {
          const r = await c.send('load@example.org', ['rcpt@example.test'], message({ messageId: mid, body: 'x'.repeat(1500) }));
          if (r.final?.code === 250) acked.add(mid);
        } catch {
          return; // the server died mid-transaction: that message never got its 250
        }
      }
    };
    const workers = Array.from({ length: 12 }, (_, i) => worker(i));
    // let the load run, then kill the server in the middle of it
    const t0 = Date.now();
    while (acked.size < 300 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
    await server.kill9();
    stop = true;
    await Promise.all(workers);
    server = undefined;
    assert.ok(acked.size >= 300, `load ran (${acked.size} acknowledged)`);

    const spoolPath = join(root, 'data/spool');
    const afterCrash = await spooledMessageIds(spoolPath);
    const missing = [...acked].filter((m) => !afterCrash.has(m));
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged messages missing after kill -9`);

    // restart on the same spool: it starts, hands the spool to the queue, loses nothing
    server = await ServerProcess.start(root);
    await server.stop();
    server = undefined;
    const afterRestart = await spooledMessageIds(spoolPath);
    const lost = [...acked].filter((m) => !afterRestart.has(m));
    assert.deepEqual(lost, [], `${lost.length} acknowledged messages missing after the restart`);
  });
});
