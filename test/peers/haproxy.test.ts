// PROXY-protocol egress through a real haproxy: a source with ha_proxy_server connects to
// haproxy (`accept-proxy`), whose server is the destination named in our PROXY header
// (`0.0.0.0:0`, haproxy's "connect to the original destination"); haproxy passes the client
// address on (`send-proxy-v2`) to a second kumo-ts listener with proxy_protocol_from, so that
// listener's Reception record shows the ha_proxy_source_address we configured.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkMessage } from '../../src/sink/sink.js';
import { collectingSink, freePort, inject, readRecords, runCleanups, startLab, tagged, waitUntil } from '../queue/lab.js';
import { haveTool, requireTool } from '../require-tool.js';
import { tempTree } from '../helpers/tmp.js';
import { onFreePort, Tool, waitForPort } from './tools.js';

const skip = requireTool('haproxy');
/** TEST-NET-1: only ever written into PROXY headers, never connected to */
const HAP_SOURCE = '192.0.2.10';

describe('HAProxy egress through a real haproxy', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let smtpPort: number;
  let proxiedPort: number;
  let hapPort: number;
  let logs: string;
  let haproxy: Tool;

  before(async () => {
    if (!haveTool('haproxy')) return;
    const sink = await collectingSink(got, cleanups);
    smtpPort = await freePort();
    proxiedPort = await freePort();
    const started = await onFreePort(async (port) => {
      const cfg = `
global
  log stderr format raw local0 info
defaults
  mode tcp
  log global
  option tcplog
  log-format "hap-conn client=%ci:%cp frontend=%fi:%fp backend=%si:%sp"
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend egress
  bind 127.0.0.1:${port} accept-proxy
  default_backend original_destination
backend original_destination
  server dst 0.0.0.0:0 send-proxy-v2
`;
      const dir = tempTree({}, 'kumo-haproxy-');
      cleanups.push(dir.cleanup);
      const file = dir.write('haproxy.cfg', cfg);
      const tool = new Tool('haproxy', ['-db', '-f', file]);
      cleanups.push(() => tool.stop());
      await waitForPort(port, 'haproxy', tool);
      return tool;
    });
    hapPort = started.port;
    haproxy = started.value;

    ({ logs } = await startLab({
      smtpPort,
      sinkPort: sink.port,
      zone: '',
      main: `
[listener.proxied]
listen = "127.0.0.1:${proxiedPort}"
proxy_protocol_from = ["127.0.0.1/32"]
relay_hosts = ["${HAP_SOURCE}/32"]
`,
      sources: `
[source."via-haproxy"]
ha_proxy_server = "127.0.0.1:${hapPort}"
ha_proxy_source_address = "${HAP_SOURCE}"
[pool."hap"]
[pool."hap"."via-haproxy"]
`,
      queues: `
tenant_header = "X-Tenant"
[tenant."via-hap"]
egress_pool = "hap"
# the first hop: through haproxy into our own proxied listener
mx_list = ["[127.0.0.1]:${proxiedPort}"]
[queue."default"]
# the second hop (the tenant header was removed at reception): straight to the sink
mx_list = ["[127.0.0.1]:${sink.port}"]
retry_interval = "1h"
`,
    }, cleanups, {
      // our own listener's certificate is self-signed
      'config/shaping.toml': '["default"]\nenable_tls = "OpportunisticInsecure"\n',
    }));
  });

  after(() => runCleanups(cleanups));

  test('delivered through haproxy to the destination in our PROXY header, which passes ha_proxy_source_address on', async () => {
    const to = 'user@hap.test';
    assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(1, 'X-Tenant: via-hap\r\n') }], 1)).size, 1);
    await waitUntil(() => got.some((m) => m.to.includes(to)), 30_000, 'the message at the sink after both hops').catch((e: Error) => {
      const recs = readRecords(logs).map((r) => `${r.type} ${r.queue} ${r.response.code} ${r.response.content}`);
      throw new Error(`${e.message}\nrecords:\n${recs.join('\n')}\nhaproxy:\n${haproxy.output.slice(-2000)}`);
    });

    // the sink can have the message before the first hop's Delivery record is flushed to the file
    await waitUntil(() => readRecords(logs).some((r) => r.recipient === to && r.type === 'Delivery' && r.egress_source === 'via-haproxy'), 20_000, 'the first hop\'s Delivery record');
    const recs = readRecords(logs).filter((r) => r.recipient === to);
    const receptions = recs.filter((r) => r.type === 'Reception');
    assert.equal(receptions.length, 2, `two receptions (injection, then through haproxy): ${JSON.stringify(recs.map((r) => r.type))}`);
    // the first hop's Delivery went through haproxy
    const firstHop = recs.find((r) => r.type === 'Delivery' && r.egress_source === 'via-haproxy');
    assert.ok(firstHop, 'a Delivery record from the via-haproxy source');
    assert.deepEqual(firstHop.source_address, { address: `${HAP_SOURCE}:0`, protocol: 'haproxy', server: `127.0.0.1:${hapPort}` });
    // haproxy announced our configured source address to the proxied listener
    const second = receptions.find((r) => r.peer_address?.addr !== '127.0.0.1');
    assert.ok(second, `a Reception with the proxied client address: ${JSON.stringify(receptions.map((r) => r.peer_address))}`);
    assert.equal(second.peer_address?.addr, HAP_SOURCE);
    // and haproxy itself logged the client address it took from our header and the destination it used
    const line = await haproxy.waitFor(/hap-conn client=(\S+):\d+ frontend=\S+ backend=(\S+)/);
    assert.equal(line[1], HAP_SOURCE);
    assert.equal(line[2], `127.0.0.1:${proxiedPort}`);
  });
});
