import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LogRecord } from '../../src/logging/types.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, labConfig, readRecords, startLabServer, tagged, waitUntil } from '../queue/lab.js';

/**
 * HTTP delivery of mail by a real `kumo-ts serve` to a real local HTTP server: 2xx is a
 * Delivery, 503 a TransientFailure retried with the queue's backoff, 400 a Bounce; the
 * records are those of SMTP outcomes (delivery_protocol "HTTP").
 */
interface Req {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly status: number;
}

describe('HTTP delivery: 200, 503 twice then 200, 400', { timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const reqs: Req[] = [];
  const flakyCount = new Map<string, number>();
  let server: Server;
  /** a second receiver, slow: connection_limit and keep-alive are seen on it alone */
  let slow: Server;
  const slowSeen = { inflight: 0, max: 0, requests: 0, connections: 0 };
  let kumo: ServerProcess;
  let smtpPort: number;
  let logs: string;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let status = 200;
        if (req.url === '/flaky') {
          const id = (JSON.parse(body.toString('utf8')) as { id: string }).id;
          const n = (flakyCount.get(id) ?? 0) + 1;
          flakyCount.set(id, n);
          status = n <= 2 ? 503 : 200;
        } else if (req.url === '/bad') status = 400;
        reqs.push({ path: req.url ?? '', headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'accepted' : status === 503 ? 'try later' : 'malformed message');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    slow = createServer((req, res) => {
      slowSeen.requests++;
      slowSeen.max = Math.max(slowSeen.max, ++slowSeen.inflight);
      req.resume();
      req.on('end', () => setTimeout(() => {
        slowSeen.inflight--;
        res.end('ok');
      }, 50));
    });
    slow.on('connection', () => slowSeen.connections++);
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => slow.close(r)));
    const slowPort = (slow.address() as AddressInfo).port;
    smtpPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const lab = labConfig({
      smtpPort,
      sinkPort: 25,
      zone: '',
      queues: `
[queue.'ok.test']
protocol = { http = { url = "${base}/ok", headers = { "X-Token" = "abc" } } }

[queue.'flaky.test']
retry_interval = "1s"
protocol = { http = { url = "${base}/flaky", body = "json", auth = { bearer = { key_data = "s3cret" } } } }

[queue.'bad.test']
protocol = { http = { url = "${base}/bad", method = "PUT" } }

[queue.'slow.test']
protocol = { http = { url = "http://127.0.0.1:${slowPort}/in" } }
`,
    });
    // the usual shaping, by the recipient domain (its own site: it has no MX): one request at a time
    lab.write('config/shaping.toml', '["slow.test"]\nmx_rollup = false\nconnection_limit = 1\n');
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const outcomes = (domain: string): LogRecord[] => readRecords(logs).filter((r) => r.type !== 'Reception' && String(r.recipient).endsWith(`@${domain}`));

  test('each outcome is logged like an SMTP one, and the receiver got the message', async () => {
    await inject(smtpPort, [
      { from: 'sender@kumo.test', to: ['a@ok.test'], data: tagged(1) },
      { from: 'sender@kumo.test', to: ['b@flaky.test'], data: tagged(2) },
      { from: 'sender@kumo.test', to: ['c@bad.test'], data: tagged(3) },
    ], 1);
    await waitUntil(() => outcomes('ok.test').length === 1 && outcomes('bad.test').length === 1 && outcomes('flaky.test').some((r) => r.type === 'Delivery'), 30_000,
      'the three outcomes').catch((e: Error) => {
      throw new Error(`${e.message}; records: ${JSON.stringify(readRecords(logs).map((r) => [r.type, r.recipient, r.response.content]))}`);
    });

    // 200 → Delivery
    const [ok] = outcomes('ok.test');
    assert.equal(ok!.type, 'Delivery');
    assert.equal(ok!.delivery_protocol, 'HTTP');
    assert.equal(ok!.queue, 'ok.test');
    assert.match(ok!.response.content, /^HTTP 200: accepted$/);
    assert.equal(ok!.response.code, 250);
    const okReq = reqs.find((r) => r.path === '/ok')!;
    assert.equal(okReq.headers['x-token'], 'abc');
    assert.equal(okReq.headers['content-type'], 'message/rfc822');
    assert.equal(okReq.headers['x-kumo-envelope-from'], 'sender@kumo.test');
    assert.equal(okReq.headers['x-kumo-envelope-to'], 'a@ok.test');
    assert.match(okReq.body.toString('latin1'), /^X-Lab-Seq: 1\r$/m);

    // 503, 503, 200 → TransientFailure, TransientFailure, Delivery (retried with backoff)
    assert.deepEqual(outcomes('flaky.test').map((r) => r.type), ['TransientFailure', 'TransientFailure', 'Delivery']);
    assert.deepEqual(outcomes('flaky.test').map((r) => r.response.content), ['HTTP 503: try later', 'HTTP 503: try later', 'HTTP 200: accepted']);
    assert.deepEqual(outcomes('flaky.test').map((r) => r.num_attempts), [1, 2, 3]);
    const flaky = reqs.filter((r) => r.path === '/flaky');
    assert.equal(flaky.length, 3);
    const json = JSON.parse(flaky[0]!.body.toString('utf8')) as Record<string, unknown>;
    assert.equal(json.sender, 'sender@kumo.test');
    assert.deepEqual(json.recipients, ['b@flaky.test']);
    assert.equal(json.queue, 'flaky.test');
    assert.match(String(json.content), /^X-Lab-Seq: 2\r$/m);
    assert.equal(flaky[0]!.headers.authorization, 'Bearer s3cret');
    assert.equal(flaky[0]!.headers['content-type'], 'application/json');

    // 400 → Bounce (PUT as configured)
    const [bad] = outcomes('bad.test');
    assert.equal(bad!.type, 'Bounce');
    assert.equal(bad!.response.content, 'HTTP 400: malformed message');
    assert.equal(reqs.filter((r) => r.path === '/bad').length, 1);
  });

  test('shaping applies per destination: connection_limit = 1 means one request at a time, on one kept-alive connection', async () => {
    const n = 12;
    await inject(smtpPort, Array.from({ length: n }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@slow.test`], data: tagged(100 + i) })), 4);
    await waitUntil(() => outcomes('slow.test').filter((r) => r.type === 'Delivery').length === n, 30_000, 'every slow.test message delivered');
    assert.equal(slowSeen.requests, n);
    assert.equal(slowSeen.max, 1, 'never more than connection_limit requests in flight');
    assert.equal(slowSeen.connections, 1, 'the pool keeps its connection alive between messages');
  });
});
