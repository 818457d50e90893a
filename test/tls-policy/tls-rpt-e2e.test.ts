// TLS-RPT (RFC 8460) end to end: sessions under MTA-STS policies with mixed outcomes, a short
// report period, and the aggregate reports arriving at a local HTTPS receiver (gzip POST) and,
// for a mailto: rua, as a multipart/report message through kumo-ts's own queue at a sink.
// Testing policies count a plain-text session and a host outside the mx patterns; a policy
// domain without a TLSRPTv1 record gets no report; max_reports_per_period defers the rest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { freePort, inject, labConfig, sinksOnOnePort, startLabServer, tagged, seqOf, waitUntil } from '../queue/lab.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { issue, makeCa } from '../helpers/test-ca.js';

interface Report {
  'organization-name': string;
  'report-id': string;
  policies: { policy: { 'policy-type': string; 'policy-domain': string; 'mx-host'?: string[] }; summary: Record<string, number>; 'failure-details'?: Record<string, unknown>[] }[];
}

const POLICIES: Record<string, string> = {
  'mix.test': 'version: STSv1\nmode: enforce\nmx: *.mix.test\nmax_age: 86400\n',
  'tst.test': 'version: STSv1\nmode: testing\nmx: mx.tst.test\nmax_age: 86400\n',
  'tplain.test': 'version: STSv1\nmode: testing\nmx: mx.tplain.test\nmax_age: 86400\n',
  'tother.test': 'version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 86400\n',
  'norua.test': 'version: STSv1\nmode: testing\nmx: mx-good.mix.test\nmax_age: 86400\n',
  'purpose.test': 'version: STSv1\nmode: testing\nmx: mx.purpose.test\nmax_age: 86400\n',
};

describe('TLS-RPT aggregate reports', () => {
  const cleanups: (() => unknown)[] = [];
  const got = new Map<string, SinkMessage[]>();
  const posted: { type: string; report: Report }[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;

  before(async () => {
    const ca = await makeCa();
    const certs: Record<string, { cert: string; key: string } | undefined> = {
      '127.0.0.7': await issue(ca, ['somebody-else.example']),
      '127.0.0.8': await issue(ca, ['mx-good.mix.test']),
      '127.0.0.9': undefined,
      // a certificate for client use only: refused for another reason than trust, name or date
      '127.0.0.6': await issue(ca, ['mx.purpose.test'], { clientOnly: true }),
    };
    const sinks: Sink[] = await sinksOnOnePort(['127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9', '127.0.0.10', '127.0.0.11'], (h) => ({
      starttls: h !== '127.0.0.10' && h !== '127.0.0.11',
      name: h,
      ...(certs[h] ? { cert: certs[h]!.cert, key: certs[h]!.key } : {}),
      onMessage: (m) => got.set(h, [...(got.get(h) ?? []), m]),
    }));
    for (const s of sinks) cleanups.push(() => s.close());
    const web = await issue(ca, [...Object.keys(POLICIES).map((d) => `mta-sts.${d}`), 'rua.mix.test']);
    const server: Server = createServer({ cert: web.cert, key: web.key }, (req, res) => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      if (req.method === 'POST' && req.url === '/tlsrpt') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          posted.push({ type: String(req.headers['content-type']), report: JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as Report });
          res.writeHead(201).end();
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
    const zone = `
["mix.test"]
mx = ["10 mx-bad.mix.test", "20 mx-good.mix.test"]
["_mta-sts.mix.test"]
txt = ["v=STSv1; id=x1"]
["_smtp._tls.mix.test"]
txt = ["v=TLSRPTv1; rua=https://rua.mix.test:${httpsPort}/tlsrpt"]
["mta-sts.mix.test"]
a = ["127.0.0.1"]
["rua.mix.test"]
a = ["127.0.0.1"]
["mx-bad.mix.test"]
a = ["127.0.0.7"]
["mx-good.mix.test"]
a = ["127.0.0.8"]
["tst.test"]
mx = ["10 mx.tst.test"]
["_mta-sts.tst.test"]
txt = ["v=STSv1; id=t1"]
["_smtp._tls.tst.test"]
txt = ["v=TLSRPTv1; rua=mailto:reports@rpt.test"]
["mta-sts.tst.test"]
a = ["127.0.0.1"]
["mx.tst.test"]
a = ["127.0.0.9"]
["rpt.test"]
mx = ["10 mx.rpt.test"]
["mx.rpt.test"]
a = ["127.0.0.10"]
["tplain.test"]
mx = ["10 mx.tplain.test"]
["_mta-sts.tplain.test"]
txt = ["v=STSv1; id=p1"]
["_smtp._tls.tplain.test"]
txt = ["v=TLSRPTv1; rua=https://rua.mix.test:${httpsPort}/tlsrpt"]
["mta-sts.tplain.test"]
a = ["127.0.0.1"]
["mx.tplain.test"]
a = ["127.0.0.11"]
["tother.test"]
mx = ["10 mx-good.mix.test"]
["_mta-sts.tother.test"]
txt = ["v=STSv1; id=o1"]
["_smtp._tls.tother.test"]
txt = ["v=TLSRPTv1; rua=https://rua.mix.test:${httpsPort}/tlsrpt"]
["mta-sts.tother.test"]
a = ["127.0.0.1"]
["purpose.test"]
mx = ["10 mx.purpose.test"]
["_mta-sts.purpose.test"]
txt = ["v=STSv1; id=u1"]
["_smtp._tls.purpose.test"]
txt = ["v=TLSRPTv1; rua=https://rua.mix.test:${httpsPort}/tlsrpt"]
["mta-sts.purpose.test"]
a = ["127.0.0.1"]
["mx.purpose.test"]
a = ["127.0.0.6"]
["norua.test"]
mx = ["10 mx-good.mix.test"]
["_mta-sts.norua.test"]
txt = ["v=STSv1; id=r1"]
["mta-sts.norua.test"]
a = ["127.0.0.1"]
`;
    const lab = labConfig({ smtpPort, sinkPort: sinks[0].port, zone, main: `[tls_policy]\nca_file = "ca.pem"\nmta_sts_port = ${httpsPort}\n[tls_policy.tls_rpt]\nenabled = true\nperiod = "3s"\norganization_name = "kumo.lab.test"\nmax_reports_per_period = 2\n` });
    lab.write('config/ca.pem', ca.cert);
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop('SIGKILL'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('counts successes and failures by result type per policy domain and delivers the reports', async () => {
    await inject(smtpPort, [
      { from: 's@kumo.test', to: ['a@mix.test'], data: tagged(1) },
      { from: 's@kumo.test', to: ['b@tst.test'], data: tagged(2) },
      { from: 's@kumo.test', to: ['c@tplain.test'], data: tagged(3) },
      { from: 's@kumo.test', to: ['d@tother.test'], data: tagged(4) },
      { from: 's@kumo.test', to: ['e@norua.test'], data: tagged(5) },
      { from: 's@kumo.test', to: ['f@purpose.test'], data: tagged(6) },
    ], 1);
    const tail = () => kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');
    const delivered = (h: string, seq: number) => (got.get(h) ?? []).some((m) => seqOf(m.data) === seq);
    await waitUntil(() => delivered('127.0.0.8', 1) && delivered('127.0.0.9', 2) && delivered('127.0.0.11', 3) && delivered('127.0.0.8', 4) && delivered('127.0.0.8', 5) && delivered('127.0.0.6', 6), 20_000, 'all deliveries').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    assert.equal((got.get('127.0.0.7') ?? []).length, 0, 'nothing went to the MX with the wrong certificate');

    // https: rua — enforce: one session refused (host mismatch), then one that met the policy
    // other domains' reports (purpose.test) come to the same rua: wait for mix.test's two sessions
    await waitUntil(() => posted.reduce((n, p) => n + p.report.policies.filter((x) => x.policy['policy-domain'] === 'mix.test').reduce((m, x) => m + x.summary['total-successful-session-count'] + x.summary['total-failure-session-count'], 0), 0) >= 2, 30_000, 'the mix.test report').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    assert.ok(posted.every((p) => p.type === 'application/tlsrpt+gzip'));
    const mix = posted.flatMap((p) => p.report.policies).filter((p) => p.policy['policy-domain'] === 'mix.test');
    assert.ok(mix.every((p) => p.policy['policy-type'] === 'sts'));
    assert.deepEqual(mix[0].policy['mx-host'], ['*.mix.test']);
    const sum = (k: string) => mix.reduce((n, p) => n + p.summary[k], 0);
    assert.equal(sum('total-successful-session-count'), 1);
    assert.equal(sum('total-failure-session-count'), 1);
    const details = mix.flatMap((p) => p['failure-details'] ?? []);
    assert.equal(details.length, 1);
    assert.equal(details[0]['result-type'], 'certificate-host-mismatch');
    assert.equal(details[0]['receiving-mx-hostname'], 'mx-bad.mix.test');
    assert.equal(details[0]['receiving-ip'], '127.0.0.7');
    assert.equal(details[0]['failed-session-count'], 1);

    // mailto: rua — testing: delivered, counted as a failure (untrusted certificate)
    await waitUntil(() => (got.get('127.0.0.10') ?? []).length > 0, 30_000, 'the tst.test report mail').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    const mail = got.get('127.0.0.10')![0];
    assert.deepEqual(mail.to, ['reports@rpt.test']);
    const text = mail.data.toString('latin1');
    assert.match(text, /^TLS-Report-Domain: tst\.test\r?$/m);
    assert.match(text, /Content-Type: multipart\/report; report-type="tlsrpt"/);
    const b64 = /Content-Type: application\/tlsrpt\+gzip[\s\S]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+)\r\n--/.exec(text)![1];
    const rep = JSON.parse(gunzipSync(Buffer.from(b64.replace(/\s/g, ''), 'base64')).toString('utf8')) as Report;
    assert.equal(rep['organization-name'], 'kumo.lab.test');
    const tst = rep.policies[0];
    assert.equal(tst.policy['policy-domain'], 'tst.test');
    assert.equal(tst.summary['total-successful-session-count'], 0);
    assert.equal(tst.summary['total-failure-session-count'], 1);
    assert.equal(tst['failure-details']![0]['result-type'], 'certificate-not-trusted');

    // testing: a session in plain text, and a verified session with a host outside the mx patterns
    const only = (d: string) => {
      const ps = posted.flatMap((p) => p.report.policies).filter((p) => p.policy['policy-domain'] === d);
      return ps.length ? ps : undefined;
    };
    await waitUntil(() => !!only('tplain.test') && !!only('tother.test') && !!only('purpose.test'), 40_000, 'the tplain.test, tother.test and purpose.test reports').catch((e: Error) => assert.fail(`${e.message}\n${tail()}`));
    const plainDetails = only('tplain.test')!.flatMap((p) => p['failure-details'] ?? []);
    assert.deepEqual(plainDetails.map((d) => [d['result-type'], d['receiving-mx-hostname']]), [['starttls-not-supported', 'mx.tplain.test']]);
    const otherDetails = only('tother.test')!.flatMap((p) => p['failure-details'] ?? []);
    assert.deepEqual(otherDetails.map((d) => [d['result-type'], d['receiving-mx-hostname']]), [['validation-failure', 'mx-good.mix.test']]);
    assert.match(String(otherDetails[0]['additional-information']), /matches none of the policy's mx patterns \(mx\.elsewhere\.test\)/);
    // a verification error that is no trust, name or date problem: validation-failure, with the code
    const purposeDetails = only('purpose.test')!.flatMap((p) => p['failure-details'] ?? []);
    assert.deepEqual(purposeDetails.map((d) => [d['result-type'], d['receiving-mx-hostname']]), [['validation-failure', 'mx.purpose.test']]);
    assert.match(String(purposeDetails[0]['additional-information']), /INVALID_PURPOSE/);

    // no TLSRPTv1 record: no report; and the limit of 2 reports per period deferred some
    await kumo.waitFor((l) => l.msg === 'tls-rpt: no TLSRPTv1 record, no report' && (l as { domain?: string }).domain === 'norua.test', 30_000, 'the norua.test log line');
    assert.equal(only('norua.test'), undefined);
    assert.ok(kumo.lines.some((l) => l.msg === 'tls-rpt: report limit reached; the rest waits for the next period'), 'the report limit was reached');
  });
});
