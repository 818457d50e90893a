// Issue 14 item 1, end to end through `kumo-ts serve`: Opportunistic TLS towards a peer whose
// certificate chains to a CA the process trusts (NODE_EXTRA_CA_CERTS) is used and verified —
// while a self-signed peer is refused, not sent to in clear — and a 1 MB message arrives
// byte for byte.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from 'selfsigned';
import type { SinkMessage } from '../../src/sink/sink.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, waitUntil } from '../queue/lab.js';

const ZONE = `
["trusted.test"]
mx = ["10 mx.trusted.test"]
["big.test"]
mx = ["10 mx.trusted.test"]
["untrusted.test"]
mx = ["10 mx.untrusted.test"]
["mx.trusted.test"]
a = ["127.0.0.2"]
["mx.untrusted.test"]
a = ["127.0.0.3"]
`;

async function caAndLeaf(name: string) {
  const ca = await generate([{ name: 'commonName', value: 'kumo-ts test CA' }], {
    keySize: 2048, algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }],
  });
  const leaf = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048, algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}

describe('delivery e2e: verified Opportunistic TLS, a 1 MB message', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let logs: string;

  before(async () => {
    const trusted = await caAndLeaf('mx.trusted.test');
    const sinks = await sinksOnOnePort(['127.0.0.2', '127.0.0.3'], (host) => ({
      starttls: true,
      name: host === '127.0.0.2' ? 'mx.trusted.test' : 'mx.untrusted.test',
      // 127.0.0.3 gets a fresh self-signed certificate: no CA vouches for it
      ...(host === '127.0.0.2' ? { cert: trusted.cert, key: trusted.key } : {}),
      onMessage: (m) => got.push(m),
    }));
    for (const s of sinks) cleanups.push(() => s.close());
    smtpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: sinks[0].port, zone: ZONE, queues: `[queue.'untrusted.test']\nretry_interval = "1h"\n` });
    cleanups.push(lab.cleanup);
    const caFile = lab.write('ca.pem', trusted.ca);
    lab.write('config/shaping.toml', '["default"]\nenable_tls = "Opportunistic"\n');
    logs = join(lab.dir, 'logs');
    kumo = startKumo(['serve', '-c', join(lab.dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info', NODE_EXTRA_CA_CERTS: caFile } });
    cleanups.push(() => kumo.stop());
    await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'kumo-ts ready');
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('Opportunistic towards a trusted certificate: delivered over verified TLS; a self-signed peer is refused, never sent to in clear', async () => {
    const data = (s: string) => `From: a@kumo.test\r\nTo: b\r\nSubject: ${s}\r\nX-Case: ${s}\r\n\r\nhello\r\n`;
    await inject(smtpPort, [{ from: 'a@kumo.test', to: ['u@trusted.test'], data: data('trusted') }, { from: 'a@kumo.test', to: ['u@untrusted.test'], data: data('untrusted') }], 1);
    const of = (rcpt: string) => readRecords(logs).filter((r) => r.recipient === rcpt && r.type !== 'Reception');
    await waitUntil(() => of('u@trusted.test').length > 0 && of('u@untrusted.test').length > 0, 30_000, 'both outcomes');
    const [ok] = of('u@trusted.test');
    assert.equal(ok.type, 'Delivery', ok.response.content);
    assert.match(String(ok.tls_protocol_version), /^TLSv1\.[23]$/);
    assert.ok(ok.tls_peer_subject_name?.some((n) => n.includes('mx.trusted.test')), JSON.stringify(ok.tls_peer_subject_name));
    const m = got.find((x) => x.data.includes('X-Case: trusted\r\n'))!;
    assert.ok(m.secure, 'the sink saw the message over TLS');

    const [refused] = of('u@untrusted.test');
    assert.equal(refused.type, 'TransientFailure');
    assert.match(refused.response.content, /self-signed certificate/);
    assert.equal(got.filter((x) => x.data.includes('X-Case: untrusted\r\n')).length, 0, 'nothing sent in clear after the refusal');
  });

  test('a 1 MB message end to end: accepted, delivered once, its body byte for byte', async () => {
    const line = `${'0123456789abcdef'.repeat(4)}${'x'.repeat(12)}\r\n`; // 78 bytes
    // lines that start with dots, and lines that are a lone dot, along the way: stuffed by the
    // client, unstuffed at reception, stuffed again at delivery (the CRLF-only path), unstuffed by the sink
    const dotted = (i: number, l: string) => (i % 997 === 5 ? '.\r\n' : i % 50 === 0 ? `.${l}` : i % 50 === 1 ? `..${l}` : l);
    const body = Array.from({ length: Math.ceil((1024 * 1024) / line.length) + 100 }, (_, i) => dotted(i, `${String(i).padStart(8, '0')}${line.slice(8)}`)).join('');
    assert.ok(body.includes('\r\n.\r\n') && body.includes('\r\n..0'));
    assert.ok(body.length >= 1024 * 1024);
    const data = `From: a@kumo.test\r\nTo: b\r\nSubject: big\r\nX-Case: big\r\n\r\n${body}`;
    assert.equal((await inject(smtpPort, [{ from: 'a@kumo.test', to: ['big@big.test'], data }], 1)).size, 1);
    await waitUntil(() => readRecords(logs).some((r) => r.recipient === 'big@big.test' && r.type === 'Delivery'), 60_000, 'the delivery of the 1 MB message');
    const arrived = got.filter((x) => x.data.includes('X-Case: big\r\n'));
    assert.equal(arrived.length, 1);
    const text = arrived[0].data.toString('latin1');
    const received = text.slice(text.indexOf('\r\n\r\n') + 4);
    const sha = (s: string) => createHash('sha256').update(s, 'latin1').digest('hex');
    assert.equal(received.length, body.length);
    assert.equal(sha(received), sha(body));
    const rec = readRecords(logs).find((r) => r.recipient === 'big@big.test' && r.type === 'Delivery')!;
    assert.ok(rec.size >= 1024 * 1024, `record size ${rec.size}`);
  });
});
