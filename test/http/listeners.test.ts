import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';

/** A keep-alive HTTP/1.1 connection on which requests are sent one after the other. */
class RawHttp {
  private buf = '';
  private waiting: (() => void) | undefined;
  closed = false;
  private constructor(private readonly sock: Socket) {
    sock.on('data', (d) => {
      this.buf += d.toString();
      this.waiting?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    sock.on('error', () => undefined);
  }
  static open(port: number): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawHttp(s)));
      s.once('error', reject);
    });
  }
  /** Sends GET path; resolves with the status code, or undefined when the connection closed. */
  async get(path: string): Promise<number | undefined> {
    this.buf = '';
    if (this.closed) return undefined;
    this.sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    for (;;) {
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(this.buf);
      if (m) {
        const len = Number(/content-length: (\d+)/i.exec(m[2]!)?.[1] ?? 0);
        if (this.buf.length >= m[0].length + len) return Number(m[1]);
      }
      if (this.closed) return undefined;
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
  close(): void {
    this.sock.destroy();
  }
}

async function status(port: number, path = '/api/check-liveness/v1'): Promise<number | string> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
  } catch (e) {
    return String(((e as Error).cause as { code?: string } | undefined)?.code ?? e);
  }
}

/** Whether a new TCP connection to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('HTTP listeners: [http] plus named [http.listener.NAME], reconciled live; a bind failure is visible and retried', async (t) => {
  const tree = tempTree();
  const [p0, pA, pA2, pB, pC] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const main = (listeners: string) => `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${p0}"\n${listeners}`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', main(`[http.listener.a]\nlisten = "127.0.0.1:${pA}"\n`));
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  let squatter: Server | undefined;
  let keep: RawHttp | undefined;
  after(async () => {
    keep?.close();
    squatter?.close();
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  let epoch = 1;
  const change = async (listeners: string) => {
    epoch++;
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main(listeners));
    await srv.waitFor((l) => l.msg === `config epoch ${epoch} live`, 10_000, `epoch ${epoch}`);
  };
  const ready = (name: string, port: number, mark: number) =>
    srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'http listener ready' && l.listener === name && l.address === `127.0.0.1:${port}`, 10_000, `listener ${name} on ${port}`);

  await t.test('both listeners serve the same routes', async () => {
    assert.equal(await status(p0), 200);
    assert.equal(await status(pA), 200);
    const doc0 = await (await fetch(`http://127.0.0.1:${p0}/api/docs/openapi.json`)).json() as { paths: object };
    const docA = await (await fetch(`http://127.0.0.1:${pA}/api/docs/openapi.json`)).json() as { paths: object };
    assert.deepEqual(Object.keys(docA.paths).sort(), Object.keys(doc0.paths).sort());
    keep = await RawHttp.open(p0);
    assert.equal(await keep.get('/api/check-liveness/v1'), 200);
  });

  await t.test('a listener is added, another rebound, live; the default one keeps its open connection', async () => {
    const mark = srv.lines.length;
    await change(`[http.listener.a]\nlisten = "127.0.0.1:${pA2}"\n[http.listener.b]\nlisten = "127.0.0.1:${pB}"\n`);
    await ready('b', pB, mark);
    await ready('a', pA2, mark);
    assert.equal(await status(pB), 200);
    assert.equal(await status(pA2), 200);
    assert.ok(await refused(pA), 'nothing listens on ' + pA);
    // the same TCP connection to the default listener still serves: it was not restarted
    assert.equal(await keep!.get('/api/config/status'), 200);
    assert.ok(!srv.lines.slice(mark).some((l) => l.msg === 'http listener default closed'));
  });

  await t.test('a removed listener stops; its metric goes away', async () => {
    const mark = srv.lines.length;
    await change(`[http.listener.b]\nlisten = "127.0.0.1:${pB}"\n`);
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'http listener a closed', 10_000, 'a closed');
    assert.ok(await refused(pA2), 'nothing listens on ' + pA2);
    assert.equal(await status(pB), 200);
    const metrics = await (await fetch(`http://127.0.0.1:${p0}/metrics`)).text();
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="default"\} 1$/m);
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="b"\} 1$/m);
    assert.doesNotMatch(metrics, /listener="a"/);
    assert.equal(await keep!.get('/api/check-liveness/v1'), 200);
  });

  await t.test('a listener that cannot bind is logged with its name and address, exported as down, and retried at the next change', async () => {
    squatter = createServer();
    await new Promise<void>((r) => squatter!.listen(pC, '127.0.0.1', r));
    let mark = srv.lines.length;
    await change(`[http.listener.b]\nlisten = "127.0.0.1:${pB}"\n[http.listener.c]\nlisten = "127.0.0.1:${pC}"\n`);
    const err = await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.level === 'error' && l.listener === 'c', 10_000, 'bind error');
    assert.match(String(err.msg), new RegExp(`http listener c: cannot listen on http://127\\.0\\.0\\.1:${pC}: .*EADDRINUSE`));
    let metrics = await (await fetch(`http://127.0.0.1:${p0}/metrics`)).text();
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="c"\} 0$/m);
    assert.equal(await status(p0), 200);
    assert.equal(await status(pB), 200);
    await new Promise<void>((r) => squatter!.close(() => r()));
    squatter = undefined;
    mark = srv.lines.length;
    const r = await fetch(`http://127.0.0.1:${p0}/api/admin/bump-config-epoch`, { method: 'POST' });
    assert.equal(r.status, 200);
    epoch++;
    await ready('c', pC, mark);
    metrics = await (await fetch(`http://127.0.0.1:${p0}/metrics`)).text();
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="c"\} 1$/m);
    assert.equal(await status(pC), 200);
  });

  await t.test('[http] enabled = false stops the default listener only', async () => {
    await change(`enabled = false\n[http.listener.b]\nlisten = "127.0.0.1:${pB}"\n`);
    await srv.waitFor((l) => l.msg === 'http listener default closed', 10_000, 'default closed');
    assert.ok(await refused(p0), 'nothing listens on ' + p0);
    assert.equal(await status(pB), 200);
  });
});
