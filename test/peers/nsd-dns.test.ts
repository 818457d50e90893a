// Delivery with DNS answered by a real name server on loopback: nsd serves a zone on
// 127.0.0.1:PORT, kumo-ts runs with `dns.mode = "servers"` pointed at it (no static zone), and
// the MX → A chain it serves routes the message to the sink on the source's remote_port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort, inject, readRecords, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import { haveTool, requireTool } from '../require-tool.js';
import { onFreePort, Tool, waitForPort } from './tools.js';

const skip = requireTool('nsd');

const ZONE = `$ORIGIN dns.test.
$TTL 60
@      IN SOA ns.dns.test. hostmaster.dns.test. 1 3600 600 86400 60
@      IN NS  ns.dns.test.
ns     IN A   127.0.0.1
; the MX target's name exists only in this zone: only nsd can route the message
@      IN MX  10 mx-only-in-nsd.dns.test.
mx-only-in-nsd IN A 127.0.0.1
; a domain with a null MX (RFC 7505): a Bounce, answered by nsd too
nullmx IN MX  0 .
`;

describe('delivery with DNS from a real nsd on loopback', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let sink: Sink;
  let kumo: ServerProcess;
  let smtpPort: number;
  let dnsPort: number;
  let logs: string;
  let nsd: Tool;

  before(async () => {
    if (!haveTool('nsd')) return;
    const tmp = tempTree({}, 'kumo-nsd-');
    cleanups.push(tmp.cleanup);
    tmp.write('nsd/dns.test.zone', ZONE);
    const started = await onFreePort(async (port) => {
      const d = join(tmp.dir, 'nsd');
      const conf = tmp.write('nsd/nsd.conf', `
server:
  ip-address: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  database: ""
  zonelistfile: ${d}/zone.list
  xfrdfile: ${d}/xfrd.state
  pidfile: ${d}/nsd.pid
  server-count: 1
  do-ip6: no
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: dns.test
  zonefile: ${d}/dns.test.zone
`);
      const tool = new Tool('nsd', ['-d', '-c', conf]);
      cleanups.push(() => tool.stop());
      await tool.waitFor(/nsd started/);
      await waitForPort(port, 'nsd', tool);
      return tool;
    });
    dnsPort = started.port;
    nsd = started.value;

    sink = await startSink({ host: '127.0.0.1', onMessage: (m) => got.push(m) });
    cleanups.push(() => sink.close());
    smtpPort = await freePort();
    tmp.write('config/kumo.toml', `
hostname = "kumo.lab.test"
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
[http]
enabled = false
[spool]
path = ${JSON.stringify(join(tmp.dir, 'spool'))}
[logs]
path = ${JSON.stringify(join(tmp.dir, 'logs'))}
compress = false
[dns]
mode = "servers"
name_servers = ["127.0.0.1:${dnsPort}"]
timeout = "3s"
# the zone's MX host is 127.0.0.1 (tests only)
allow_loopback_destinations = true
`);
    tmp.write('config/sources.toml', `[source."unspecified"]\nremote_port = ${sink.port}\n`);
    tmp.write('config/queues.toml', '[queue."default"]\nretry_interval = "1h"\n');
    logs = join(tmp.dir, 'logs');
    kumo = await startLabServer(tmp.dir);
    cleanups.push(() => kumo.stop());
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const final = (to: string) => readRecords(logs).find((r) => r.recipient === to && r.type !== 'Reception');

  test('the MX and A records nsd serves route the message to the sink', async () => {
    const to = 'user@dns.test';
    assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(1) }], 1)).size, 1);
    await waitUntil(() => !!final(to), 30_000, `a delivery record for ${to}`).catch((e: Error) => {
      throw new Error(`${e.message}\nkumo log:\n${kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}\nnsd:\n${nsd.output}`);
    });
    const rec = final(to)!;
    assert.equal(rec.type, 'Delivery', JSON.stringify(rec.response));
    assert.deepEqual(rec.peer_address, { name: 'mx-only-in-nsd.dns.test', addr: '127.0.0.1' });
    assert.ok(got.some((m) => m.to.includes(to)), 'the sink received the message');
  });

  test('a null MX served by nsd is a Bounce', async () => {
    const to = 'user@nullmx.dns.test';
    assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(2) }], 1)).size, 1);
    await waitUntil(() => !!final(to), 30_000, `a record for ${to}`);
    const rec = final(to)!;
    assert.equal(rec.type, 'Bounce', JSON.stringify(rec.response));
    // the null MX itself, not an NXDOMAIN from somewhere else
    assert.equal(rec.response.code, 556);
    assert.match(rec.response.content, /null MX, RFC 7505/);
    assert.ok(!got.some((m) => m.to.includes(to)));
  });
});
