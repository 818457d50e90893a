// Issue 14 item 1: the system resolver (src/dns/system-resolver.ts, dns.mode = "servers")
// against a real DNS server on loopback (unbound, answering from local data only), and its
// error mapping: NXDOMAIN, NODATA, REFUSED, TIMEOUT (a UDP port that never answers).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { compileOrThrow } from '../../src/config/compile.js';
import { Reporter } from '../../src/config/report.js';
import { createResolver } from '../../src/dns/create.js';
import { DnsError } from '../../src/dns/resolver.js';
import type { Resolver } from '../../src/dns/resolver.js';
import { resolveRoute } from '../../src/dns/route.js';
import { SystemResolver } from '../../src/dns/system-resolver.js';
import { startUnbound } from '../helpers/unbound.js';
import type { Unbound } from '../helpers/unbound.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';

const dnsError = (code: string) => (e: unknown) => {
  assert.ok(e instanceof DnsError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

describe('SystemResolver against unbound on loopback', { skip: requireTool('unbound') }, () => {
  let ub: Unbound;
  let r: Resolver;
  let tree: ReturnType<typeof tempTree>;
  let blackhole: Socket;

  before(async () => {
    ub = await startUnbound({
      zones: ['kumo.test. static'],
      records: [
        'kumo.test. IN MX 20 MX2.kumo.test.',
        'kumo.test. IN MX 10 mx1.kumo.test.',
        'kumo.test. IN TXT "v=spf1 -all"',
        'long.kumo.test. IN TXT "first half, " "second half"',
        'mx1.kumo.test. IN A 127.0.0.2',
        'mx1.kumo.test. IN A 127.0.0.3',
        'MX2.kumo.test. IN A 127.0.0.4',
        'MX2.kumo.test. IN AAAA 2001:db8::25',
        'nomx.kumo.test. IN A 127.0.0.9',
      ],
      ptr: ['192.0.2.10 mx1.kumo.test.'],
    });
    // the resolver the config builds: dns.mode = "servers" with unbound's host:port
    tree = tempTree({
      'kumo.toml': `[server]\nsmtp = false\n[http]\nenabled = false\n[spool]\npath = "spool"\n[dns]\nmode = "servers"\nname_servers = ["${ub.server}"]\ntimeout = "3s"\n`,
    });
    const snap = await compileOrThrow({ root: tree.dir });
    r = createResolver(snap.main.dns, new Reporter()).resolver;
    assert.ok(r instanceof SystemResolver);
    blackhole = createSocket('udp4');
    await new Promise<void>((res) => blackhole.bind(0, '127.0.0.1', () => res()));
  });
  after(async () => {
    blackhole?.close();
    await ub?.stop();
    tree?.cleanup();
  });

  test('MX sorted by preference, names lower-cased without the trailing dot; A, AAAA, TXT joined, PTR', async () => {
    assert.deepEqual(await r.mx('kumo.test'), [{ exchange: 'mx1.kumo.test', priority: 10 }, { exchange: 'mx2.kumo.test', priority: 20 }]);
    assert.deepEqual((await r.a('mx1.kumo.test')).sort(), ['127.0.0.2', '127.0.0.3']);
    assert.deepEqual(await r.aaaa('mx2.kumo.test'), ['2001:db8::25']);
    assert.deepEqual(await r.txt('kumo.test'), ['v=spf1 -all']);
    assert.deepEqual(await r.txt('long.kumo.test'), ['first half, second half']);
    assert.deepEqual(await r.ptr('192.0.2.10'), ['mx1.kumo.test']);
  });

  test('a delivery route from real answers: MX hosts in order with their addresses; no MX → the domain itself', async () => {
    const route = await resolveRoute(r, 'kumo.test', { allowLoopback: true });
    assert.deepEqual(route.hosts.map((h) => [h.name, [...h.addrs].sort()]), [['mx1.kumo.test', ['127.0.0.2', '127.0.0.3']], ['mx2.kumo.test', ['127.0.0.4', '2001:db8::25']]]);
    const implicit = await resolveRoute(r, 'nomx.kumo.test', { allowLoopback: true });
    assert.deepEqual(implicit.hosts.map((h) => [h.name, h.addrs]), [['nomx.kumo.test', ['127.0.0.9']]]);
  });

  test('errors map to stable codes: NXDOMAIN, NODATA, REFUSED (transient), TLSA unsupported', async () => {
    await assert.rejects(r.mx('missing.kumo.test'), dnsError('NXDOMAIN'));
    await assert.rejects(r.aaaa('mx1.kumo.test'), dnsError('NODATA'));
    await assert.rejects(r.mx('elsewhere.example'), (e) => dnsError('REFUSED')(e) && (e as DnsError).transient);
    await assert.rejects(r.tlsa('_25._tcp.mx1.kumo.test'), dnsError('NODATA'));
  });

  test('a name server that never answers: TIMEOUT (transient), within the configured timeout', async () => {
    const { port } = blackhole.address();
    const dead = new SystemResolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 200 });
    await assert.rejects(dead.mx('kumo.test'), (e) => dnsError('TIMEOUT')(e) && (e as DnsError).transient);
  });
});
