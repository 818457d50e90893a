// TLS-RPT (RFC 8460 §5.3): a report whose https: POST fails is tried again with backoff, the
// same report each time, and is not lost across a restart (it waits in the state file); a
// final HTTP reply (404) is not retried; a refused connection is retried. A local HTTPS
// receiver answers 503 first, then does not answer at all (https_timeout), then accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { freePort, inject, labConfig, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';

const POLICIES: Record<string, string> = {
  'ok.test': 'version: STSv1\nmode: enforce\nmx: mx.ok.test\nmax_age: 86400\n',
  'gone.test': 'version: STSv1\nmode: enforce\nmx: mx.gone.test\nmax_age: 86400\n',
  'refused.test': 'version: STSv1\nmode: enforce\nmx: mx.refused.test\nmax_age: 86400\n',
};

interface Post {
  path: string;
  reportId: string;
  domain: string;
  answer: string;
}

describe('TLS-RPT: failed https: reports are retried', () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  const posts: Post[] = [];
  /** how the receiver answers the next POSTs to /tlsrpt, in order; then 201 */
  const answers: string[] = ['503'];
  let kumo: ServerProcess;
  let smtpPort: number;
  let lab: ReturnType<typeof labConfig>;
  const tail = () => kumo.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n');

  before(async () => {
    const ca = await makeCa();
    const mxCert = await issue(ca, ['mx.ok.test', 'mx.gone.test', 'mx.refused.test']);
    const sinks: Sink[] = await sinksOnOnePort(['127.0.0.8'], () => ({ starttls: true, name: 'mx', cert: mxCert.cert, key: mxCert.key, onMessage: (m) => got.push(m) }));
    for (const s of sinks) cleanups.push(() => s.close());
    const web = await issue(ca, ['mta-sts.ok.test', 'mta-sts.gone.test', 'mta-sts.refused.test', 'rua.ok.test']);
    const server: Server = createServer({ cert: web.cert, key: web.key }, (req, res) => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const report = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as { 'report-id': string; policies: { policy: { 'policy-domain': string } }[] };
          const answer = req.url === '/gone' ? '404' : (answers.shift() ?? '201');
          posts.push({ path: req.url ?? '', reportId: report['report-id'], domain: report.policies[0].policy['policy-domain'], answer });
          if (answer === 'hang') return; // no reply: the sender's https_timeout
          res.writeHead(Number(answer)).end();
        });
        return;
      }
      const d = host.replace(/^mta-sts\./, '');
      if (req.url !== '/.well-known/mta-sts.txt' || !POLICIES[d]) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICIES[d]);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
    const httpsPort = (server.address() as { port: number }).port;
    smtpPort = await freePort();
    const closedPort = await freePort(); // nothing listens there: connection refused
    const zone = `
["ok.test"]
mx = ["10 mx.ok.test"]
["_mta-sts.ok.test"]
txt = ["v=STSv1; id=ok1"]
["_smtp._tls.ok.test"]
txt = ["v=TLSRPTv1; rua=https://rua.ok.test:${httpsPort}/tlsrpt"]
["mta-sts.ok.test"]
a = ["127.0.0.1"]
["rua.ok.test"]
a = ["127.0.0.1"]
["mx.ok.test"]
a = ["127.0.0.8"]
["gone.test"]
mx = ["10 mx.gone.test"]
["_mta-sts.gone.test"]
txt = ["v=STSv1; id=g1"]
["_smtp._tls.gone.test"]
txt = ["v=TLSRPTv1; rua=https://rua.ok.test:${httpsPort}/gone"]
["mta-sts.gone.test"]
a = ["127.0.0.1"]
["mx.gone.test"]
a = ["127.0.0.8"]
["refused.test"]
mx = ["10 mx.refused.test"]
["_mta-sts.refused.test"]
txt = ["v=STSv1; id=r1"]
["_smtp._tls.refused.test"]
txt = ["v=TLSRPTv1; rua=https://rua.ok.test:${closedPort}/tlsrpt"]
["mta-sts.refused.test"]
a = ["127.0.0.1"]
["mx.refused.test"]
a = ["127.0.0.8"]
`;
    lab = labConfig({
      smtpPort,
      sinkPort: sinks[0].port,
      zone,
      main: `[tls_policy]\nca_file = "ca.pem"\nmta_sts_port = ${httpsPort}\n[tls_policy.tls_rpt]\nenabled = true\nperiod = "2s"\nhttps_timeout = "1s"\nretry_interval = "4s"\nretry_for = "1h"\n`,
    });
    lab.write('config/ca.pem', ca.cert);
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop('SIGKILL'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('503, then no answer, across a restart: the same report arrives on the third try; a 404 is final; a refused connection is retried', async () => {
    await inject(smtpPort, [{ from: 's@kumo.test', to: ['a@ok.test'], data: tagged(1) }, { from: 's@kumo.test', to: ['b@gone.test'], data: tagged(2) }, { from: 's@kumo.test', to: ['c@refused.test'], data: tagged(3) }], 1);
    await waitUntil(() => got.length === 3, 20_000, 'both deliveries').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));

    // first try: 503 → kept for a retry
    await kumo.waitFor((l) => l.msg === 'tls-rpt: report not sent; will retry' && l.domain === 'ok.test', 20_000, 'the retry of the ok.test report');
    const first = posts.find((p) => p.domain === 'ok.test')!;
    assert.equal(first.answer, '503');
    // a 404 is final: logged, never tried again
    await kumo.waitFor((l) => l.msg === 'tls-rpt: report not sent (final)' && l.domain === 'gone.test', 20_000, 'the final failure of gone.test');
    // a refused connection: tried again later
    const refused = await kumo.waitFor((l) => l.msg === 'tls-rpt: report not sent; will retry' && l.domain === 'refused.test', 20_000, 'the retry of refused.test');
    assert.match(String(refused.error), /ECONNREFUSED/);

    // stop before the retry is due (4 s): the report waits in the state file
    await kumo.stop('SIGTERM');
    type Outbox = { domain: string; reportId: string; attempts: number; uri: string; lastError: string }[];
    const state = JSON.parse(readFileSync(join(lab.dir, 'tls-rpt.json'), 'utf8')) as { outbox: Outbox };
    const waiting = state.outbox.find((e) => e.domain === 'ok.test');
    assert.ok(waiting, JSON.stringify(state.outbox.map((e) => ({ ...e, gz: undefined }))));
    assert.equal(waiting.reportId, first.reportId);
    assert.equal(waiting.attempts, 1);
    assert.match(waiting.lastError, /HTTP 503/);
    assert.ok(!state.outbox.some((e) => e.domain === 'gone.test'), 'the final failure is not kept');
    const beforeRestart = posts.length;

    // after the restart: no answer (https_timeout, tried again), then accepted
    answers.push('hang');
    kumo = await startLabServer(lab.dir);
    await kumo.waitFor((l) => l.msg === 'tls-rpt: report sent' && l.domain === 'ok.test', 30_000, 'the ok.test report after the restart').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    const okPosts = posts.filter((p) => p.domain === 'ok.test');
    assert.deepEqual(okPosts.map((p) => p.answer), ['503', 'hang', '201']);
    assert.ok(okPosts.every((p) => p.reportId === first.reportId), 'every try sends the same report');
    assert.equal(posts.slice(beforeRestart).filter((p) => p.domain === 'ok.test').length, 2, 'tries 2 and 3 came from the restarted process');
    const sent = kumo.lines.find((l) => l.msg === 'tls-rpt: report sent' && l.domain === 'ok.test')!;
    assert.equal(sent.attempt, 3);
    assert.equal(posts.filter((p) => p.domain === 'gone.test').length, 1, 'the 404 was not retried');
    // the sent report has left the outbox (state written at stop); refused.test still waits
    await kumo.stop('SIGTERM');
    const after2 = JSON.parse(readFileSync(join(lab.dir, 'tls-rpt.json'), 'utf8')) as { outbox: Outbox };
    assert.deepEqual(after2.outbox.map((e) => e.domain), ['refused.test']);
    assert.ok(after2.outbox[0].attempts >= 2);
  });
});
