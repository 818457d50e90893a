import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';

/** Sends only the request head of a POST declaring `length` body bytes; resolves with the response head. */
function declareOnly(port: number, path: string, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const s = connect(port, '127.0.0.1', () =>
      s.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`));
    s.on('data', (d) => {
      buf += d.toString();
      if (/\r\n\r\n[\s\S]*\}/.test(buf)) {
        s.destroy();
        resolve(buf);
      }
    });
    s.once('error', reject);
    s.once('close', () => resolve(buf));
  });
}

test('[http] max_body_size: a larger body gets 413 JSON naming the limit, before it is read; the server keeps serving', async (t) => {
  const tree = tempTree();
  const port = await freePort();
  const main = (extra: string) => `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n${extra}`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', main(''));
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  after(async () => {
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  const base = `http://127.0.0.1:${port}`;

  await t.test('default 64 MiB: a declared 200 MB body is refused from its Content-Length', async () => {
    const head = await declareOnly(port, '/api/inject/v1', 200 * 1024 * 1024);
    assert.match(head, /^HTTP\/1\.1 413 /);
    const body = JSON.parse(head.slice(head.indexOf('\r\n\r\n') + 4)) as { error: string; message: string; limit: number };
    assert.equal(body.error, 'payload_too_large');
    assert.equal(body.limit, 64 * 1024 * 1024);
    assert.match(body.message, /67108864 bytes \(\[http\] max_body_size\)/);
    assert.equal((await fetch(`${base}/api/check-liveness/v1`)).status, 200);
  });

  await t.test('the limit applies live, and to a chunked body as soon as it passes the limit', async () => {
    writeFileSync(join(tree.dir, 'cfg/kumo.toml'), main('max_body_size = "1MB"\n'));
    await srv.waitFor((l) => l.msg === 'config epoch 2 live', 10_000, 'epoch 2');
    async function* chunks() {
      const mb = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 200; i++) {
        yield mb;
      }
    }
    const r = await request(`${base}/api/admin/bump-config-epoch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Readable.from(chunks()) })
      .then(async (x) => ({ status: x.statusCode, body: await x.body.text() }), (e: Error) => ({ status: 0, body: e.message }));
    assert.equal(r.status, 413, r.body);
    assert.equal(JSON.parse(r.body).limit, 1024 * 1024);
    // a body under the limit is still served
    const ok = await fetch(`${base}/api/admin/bump-config-epoch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(ok.status, 200);
  });

  await t.test('the connection closes lingering: a client still sending after the 413 sees no reset', async () => {
    // raw socket, kept open for writing after the server's FIN: after the 413 arrives, 2 MB
    // more are written; without the lingering close the server has destroyed its socket and
    // the writes meet a reset (EPIPE / ECONNRESET), which on Linux also drops unread data
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const closed = new Promise<void>((res) => s.once('close', () => res()));
    await new Promise<void>((res) => s.once('connect', () => res()));
    let head = '';
    let error: Error | undefined;
    s.on('error', (e) => {
      error = e;
    });
    const gotHead = new Promise<void>((res) => s.on('data', (d) => {
      head += d.toString();
      if (head.includes('\r\n\r\n')) res();
    }));
    s.write('POST /api/admin/bump-config-epoch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let sentAfter = 0;
    let headSeen = false;
    void gotHead.then(() => {
      headSeen = true;
    });
    const deadline = Date.now() + 10_000;
    while (sentAfter < 2 * 1024 * 1024 && !error && Date.now() < deadline) {
      if (!s.write(frame)) await new Promise((r) => setTimeout(r, 5));
      if (headSeen) sentAfter += frame.length;
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.match(head, /^HTTP\/1\.1 413 /);
    assert.match(head, /connection: close/i);
    s.end('0\r\n\r\n');
    await closed;
    assert.equal(error, undefined, `the client's writes after the 413 failed: ${(error as Error | undefined)?.message}`);
  });

  await t.test('Expect: 100-continue: under the limit the client gets 100 Continue and is served; over it, no 100 but a 413', async () => {
    const exchange = (length: number, body?: string) => new Promise<string>((resolve, reject) => {
      let buf = '';
      const s = connect(port, '127.0.0.1', () =>
        s.write(`POST /api/admin/bump-config-epoch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`));
      let sent = false;
      s.on('data', (d) => {
        buf += d.toString();
        // the body goes only after the interim response, as a client honouring Expect does
        if (!sent && body !== undefined && buf.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
          sent = true;
          s.write(body);
        }
      });
      s.once('error', reject);
      s.once('close', () => resolve(buf));
    });
    const ok = await exchange(2, '{}');
    assert.match(ok, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    const big = await exchange(2 * 1024 * 1024);
    assert.match(big, /^HTTP\/1\.1 413 /, 'no 100 Continue for a body over max_body_size');
    assert.equal(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)).limit, 1024 * 1024);
  });
});
