import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSink } from '../../src/sink/sink.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { makeCert } from '../smtp/helpers.js';
import { freePort, inject, labConfig, readRecords, seqOf, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { Outgoing } from '../queue/lab.js';

/**
 * Issue 9 item 1: what makes a route distinct is part of its ready queue's identity. Two
 * smarthost routes on one host with different ports, and domains with their own TLS policy
 * (`mx_rollup = false`), must never share a ready queue or a connection: each domain's mail
 * reaches its own port, with its own TLS mode. A kumo-ts child delivers to real sinks on
 * 127.0.0.1; a connection once open stays idle (idle_timeout 60 s) and would carry anything
 * queued behind it, which is how the bug showed.
 */
// two MX sets whose rollup names collide: both are "(a|b).(x|y).test"; only b.x.test (of
// one.test) and a.y.test (of two.test) have addresses
const COLLIDING_ZONE = `
["one.test"]
mx = ["10 a.x.test", "20 b.y.test", "30 b.x.test"]
["two.test"]
mx = ["10 a.x.test", "20 b.y.test", "30 a.y.test"]
["b.x.test"]
a = ["127.0.0.2"]
["a.y.test"]
a = ["127.0.0.3"]
`;

describe('ready queue identity: port, TLS mode, mx_rollup = false', { timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got = new Map<string, SinkMessage[]>();
  let kumo: ServerProcess;
  let smtpPort: number;
  let logs: string;
  let lab: ReturnType<typeof labConfig>;

  const sink = async (name: string, opts: { starttls?: boolean; cert?: string; key?: string } = {}) => {
    got.set(name, []);
    const s = await startSink({ host: '127.0.0.1', port: 0, onMessage: (m) => got.get(name)!.push(m), ...opts });
    cleanups.push(() => s.close());
    return s;
  };
  const to = (name: string) => got.get(name)!.flatMap((m) => m.to);

  before(async () => {
    const cert = await makeCert('tls.sink.test');
    const portA = await sink('portA');
    const portB = await sink('portB');
    const tls = await sink('tls', { starttls: true, cert: cert.cert, key: cert.key });
    const plain = await sink('plain');
    // MX delivery (the source's remote_port) to 127.0.0.2 and 127.0.0.3
    got.set('mx2', []);
    got.set('mx3', []);
    const mxSinks = await sinksOnOnePort(['127.0.0.2', '127.0.0.3'], (h) => ({ onMessage: (m) => got.get(h === '127.0.0.2' ? 'mx2' : 'mx3')!.push(m) }));
    for (const s of mxSinks) cleanups.push(() => s.close());
    smtpPort = await freePort();
    lab = labConfig({
      smtpPort,
      sinkPort: mxSinks[0].port,
      zone: COLLIDING_ZONE,
      queues: `
[queue.'porta.test']
mx_list = ["[127.0.0.1]:${portA.port}"]
[queue.'portb.test']
mx_list = ["[127.0.0.1]:${portB.port}"]
[queue.'secure.test']
mx_list = ["[127.0.0.1]:${tls.port}"]
[queue.'cleartext.test']
mx_list = ["[127.0.0.1]:${plain.port}"]
[queue.'secure2.test']
mx_list = ["[127.0.0.1]:${tls.port}"]
[queue.'cleartext2.test']
mx_list = ["[127.0.0.1]:${tls.port}"]
[queue.'switch.test']
mx_list = ["[127.0.0.1]:${tls.port}"]
`,
    });
    lab.write('config/shaping.toml', shaping('Disabled'));
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const shaping = (switchTls: string) => `
["default"]
connection_limit = 1
idle_timeout = "60s"
enable_tls = "Opportunistic"

["secure.test"]
mx_rollup = false
enable_tls = "RequiredInsecure"

["cleartext.test"]
mx_rollup = false
enable_tls = "Disabled"

["secure2.test"]
mx_rollup = false
enable_tls = "RequiredInsecure"

["cleartext2.test"]
mx_rollup = false
enable_tls = "Disabled"

["switch.test"]
mx_rollup = false
enable_tls = "${switchTls}"
`;

  const msgs = (domain: string, n: number, base: number): Outgoing[] =>
    Array.from({ length: n }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${base + i}@${domain}`], data: tagged(base + i) }));
  const deliveries = (domain: string) => readRecords(logs).filter((r) => r.type === 'Delivery' && String(r.recipient).endsWith(`@${domain}`));

  test('two smarthosts on one address with different ports: each domain only on its own port', async () => {
    // interleaved, over one injection session: both domains are in flight at once
    const a = msgs('porta.test', 10, 0);
    const b = msgs('portb.test', 10, 100);
    const all = a.flatMap((m, i) => [m, b[i]]);
    assert.equal((await inject(smtpPort, all, 1)).size, 20);
    await waitUntil(() => deliveries('porta.test').length + deliveries('portb.test').length >= 20, 30_000, '20 Delivery records');

    assert.deepEqual(to('portA').sort(), a.map((m) => m.to[0]).sort(), 'port A got exactly the mail of porta.test');
    assert.deepEqual(to('portB').sort(), b.map((m) => m.to[0]).sort(), 'port B got exactly the mail of portb.test');
    const sites = new Set([...deliveries('porta.test'), ...deliveries('portb.test')].map((r) => r.site));
    assert.equal(sites.size, 2, `one site per destination port, got ${[...sites].join(', ')}`);
  });

  test('mx_rollup = false + RequiredInsecure: only over TLS at its own sink, never over the plaintext connection of another domain', async () => {
    // the plaintext domain first: its connection stays open and idle while the TLS domain's mail arrives
    assert.equal((await inject(smtpPort, msgs('cleartext.test', 3, 200), 1)).size, 3);
    await waitUntil(() => to('plain').length >= 3, 20_000, 'cleartext.test at the plain sink');
    const secure = msgs('secure.test', 5, 300);
    assert.equal((await inject(smtpPort, [...secure, ...msgs('cleartext.test', 3, 210)], 1)).size, 8);
    await waitUntil(() => deliveries('secure.test').length >= 5 && to('plain').length >= 6, 20_000, 'secure.test delivered');

    assert.ok(!to('plain').some((r) => r.endsWith('@secure.test')), `no secure.test mail at the plaintext sink: ${to('plain').join(', ')}`);
    const atTls = got.get('tls')!.filter((m) => m.to.some((r) => r.endsWith('@secure.test')));
    assert.deepEqual(atTls.map((m) => seqOf(m.data)).sort((x, y) => x - y), [300, 301, 302, 303, 304]);
    assert.ok(atTls.every((m) => m.secure), 'every secure.test message came over TLS');
    for (const r of deliveries('secure.test')) {
      assert.equal(r.site, 'secure.test', 'an mx_rollup = false domain is its own site');
      assert.ok(r.tls_protocol_version, 'Delivery record shows TLS');
    }
    assert.ok(got.get('plain')!.every((m) => !m.secure));
  });

  test('same sink, different TLS modes: each domain with its own mode', async () => {
    const s = msgs('secure2.test', 3, 400);
    const c = msgs('cleartext2.test', 3, 500);
    assert.equal((await inject(smtpPort, c.flatMap((m, i) => [m, s[i]]), 1)).size, 6);
    await waitUntil(() => deliveries('secure2.test').length + deliveries('cleartext2.test').length >= 6, 20_000, '6 Delivery records');
    const at = (d: string) => got.get('tls')!.filter((m) => m.to.some((r) => r.endsWith(`@${d}`)));
    assert.equal(at('secure2.test').length, 3);
    assert.equal(at('cleartext2.test').length, 3);
    assert.ok(at('secure2.test').every((m) => m.secure), 'RequiredInsecure domain over TLS');
    assert.ok(at('cleartext2.test').every((m) => !m.secure), 'Disabled domain in plaintext');
  });

  test('MX sets whose rollup names collide: each domain reaches its own hosts, never the other queue\'s', async () => {
    const one = msgs('one.test', 5, 600);
    const two = msgs('two.test', 5, 700);
    assert.equal((await inject(smtpPort, one.flatMap((m, i) => [m, two[i]]), 1)).size, 10);
    await waitUntil(() => deliveries('one.test').length + deliveries('two.test').length >= 10, 20_000, '10 Delivery records').catch((e: Error) => {
      const recs = readRecords(logs).filter((r) => /@(one|two)\.test$/.test(String(r.recipient)));
      throw new Error(`${e.message}: ${recs.map((r) => `${r.type} ${String(r.recipient)} ${r.response.code} ${r.response.content}`).join('; ')}`);
    });
    assert.deepEqual(to('mx2').sort(), one.map((m) => m.to[0]).sort(), 'one.test only at b.x.test (127.0.0.2)');
    assert.deepEqual(to('mx3').sort(), two.map((m) => m.to[0]).sort(), 'two.test only at a.y.test (127.0.0.3)');
  });

  test('enable_tls changed by a reload: the next message goes with the new mode, not over the idle connection of the old', async () => {
    const atTls = () => got.get('tls')!.filter((m) => m.to.some((r) => r.endsWith('@switch.test')));
    assert.equal((await inject(smtpPort, msgs('switch.test', 1, 800), 1)).size, 1);
    await waitUntil(() => atTls().length === 1, 20_000, 'the first switch.test message');
    assert.equal(atTls()[0].secure, false, 'Disabled: plaintext');
    const seen = kumo.lines.length;
    lab.write('config/shaping.toml', shaping('RequiredInsecure'));
    await kumo.waitFor((l) => /^config epoch \d+ live$/.test(String(l.msg)) && kumo.lines.indexOf(l) >= seen, 20_000, 'the reload');
    assert.equal((await inject(smtpPort, msgs('switch.test', 1, 801), 1)).size, 1);
    await waitUntil(() => atTls().length === 2, 20_000, 'the second switch.test message');
    assert.equal(atTls()[1].secure, true, 'RequiredInsecure after the reload: over TLS');
  });
});
