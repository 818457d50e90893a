// Egress through a real SOCKS5 server (microsocks), without and with RFC 1929 username/password
// authentication: `kumo-ts serve` delivers through it to a sink; a wrong password is a
// TransientFailure whose response names the proxy's refusal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkMessage } from '../../src/sink/sink.js';
import { collectingSink, freePort, inject, readRecords, runCleanups, startLab, tagged, waitUntil } from '../queue/lab.js';
import { haveTool, requireTool } from '../require-tool.js';
import { onFreePort, Tool, waitForPort } from './tools.js';

const skip = requireTool('microsocks');

describe('SOCKS5 egress through microsocks', { skip, timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let smtpPort: number;
  let logs: string;
  const proxies: Record<string, { port: number; tool: Tool }> = {};

  async function microsocks(name: string, args: string[]): Promise<void> {
    const { port, value } = await onFreePort(async (p) => {
      const tool = new Tool('microsocks', ['-i', '127.0.0.1', '-p', String(p), ...args]);
      cleanups.push(() => tool.stop());
      await waitForPort(p, `microsocks (${name})`, tool);
      return tool;
    });
    proxies[name] = { port, tool: value };
  }

  before(async () => {
    if (!haveTool('microsocks')) return;
    const sink = await collectingSink(got, cleanups);
    await microsocks('open', []);
    await microsocks('auth', ['-u', 'kumo', '-P', 's3cret pass']);
    smtpPort = await freePort();
    ({ logs } = await startLab({
      smtpPort,
      sinkPort: sink.port,
      zone: '',
      sources: `
[source."via-open"]
socks5_proxy_server = "127.0.0.1:${proxies.open.port}"
socks5_proxy_source_address = "127.0.0.1"
[source."via-auth"]
socks5_proxy_server = "127.0.0.1:${proxies.auth.port}"
socks5_proxy_username = "kumo"
socks5_proxy_password = "socks-password.txt"
[source."via-auth-wrong"]
socks5_proxy_server = "127.0.0.1:${proxies.auth.port}"
socks5_proxy_username = "kumo"
socks5_proxy_password = { key_data = "not the password" }
[source."no-credentials"]
socks5_proxy_server = "127.0.0.1:${proxies.auth.port}"
[source."absent-password"]
socks5_proxy_server = "127.0.0.1:${proxies.auth.port}"
socks5_proxy_username = "kumo"
socks5_proxy_password = "no-such-password-file.txt"
[pool."open"]
[pool."open"."via-open"]
[pool."auth"]
[pool."auth"."via-auth"]
[pool."wrong"]
[pool."wrong"."via-auth-wrong"]
[pool."none"]
[pool."none"."no-credentials"]
[pool."absent"]
[pool."absent"."absent-password"]
`,
      queues: `
tenant_header = "X-Tenant"
[tenant."t-open"]
egress_pool = "open"
[tenant."t-auth"]
egress_pool = "auth"
[tenant."t-wrong"]
egress_pool = "wrong"
[tenant."t-none"]
egress_pool = "none"
[tenant."t-absent"]
egress_pool = "absent"
[queue."default"]
mx_list = ["[127.0.0.1]:${sink.port}"]
retry_interval = "1h"
`,
    }, cleanups, {
      // a file key source, with the trailing newline an editor leaves: not part of the password
      'config/socks-password.txt': 's3cret pass\n',
    }));
  });

  after(() => runCleanups(cleanups));

  const send = (tenant: string, to: string, seq: number) =>
    inject(smtpPort, [{ from: 'sender@kumo.test', to: [to], data: tagged(seq, `X-Tenant: ${tenant}\r\n`) }], 1);
  const recordFor = (to: string) => () => readRecords(logs).find((r) => r.recipient === to && r.type !== 'Reception');

  test('without authentication: delivered through the proxy, logged with the proxy as source', async () => {
    const to = 'open@dest.test';
    await send('t-open', to, 1);
    await waitUntil(() => !!recordFor(to)(), 20_000, `a delivery record for ${to}`);
    const rec = recordFor(to)()!;
    assert.equal(rec.type, 'Delivery', JSON.stringify(rec.response));
    assert.deepEqual(rec.source_address, { address: '127.0.0.1:0', protocol: 'socks5', server: `127.0.0.1:${proxies.open.port}` });
    const m = got.find((g) => g.to.includes(to));
    assert.ok(m, 'the sink received the message');
    // microsocks connected to the sink from loopback
    assert.equal(m.remoteAddress.replace(/^::ffff:/, ''), '127.0.0.1');
  });

  test('username/password (RFC 1929) from a key file: delivered through the authenticating proxy', async () => {
    const to = 'auth@dest.test';
    await send('t-auth', to, 2);
    await waitUntil(() => !!recordFor(to)(), 20_000, `a delivery record for ${to}`);
    const rec = recordFor(to)()!;
    assert.equal(rec.type, 'Delivery', JSON.stringify(rec.response));
    assert.equal(rec.source_address?.server, `127.0.0.1:${proxies.auth.port}`);
    assert.ok(got.some((g) => g.to.includes(to)), 'the sink received the message');
  });

  test('a wrong password: TransientFailure naming the proxy authentication failure, nothing delivered', async () => {
    const to = 'wrong@dest.test';
    await send('t-wrong', to, 3);
    await waitUntil(() => !!recordFor(to)(), 20_000, `a record for ${to}`);
    const rec = recordFor(to)()!;
    assert.equal(rec.type, 'TransientFailure');
    assert.equal(rec.response.code, 451);
    assert.match(rec.response.content, /SOCKS5 proxy 127\.0\.0\.1:\d+ rejected the username\/password of user "kumo"/);
    assert.ok(!got.some((g) => g.to.includes(to)), 'the sink did not receive it');
  });

  test('no credentials towards a proxy that requires them: TransientFailure saying which methods it accepts', async () => {
    const to = 'none@dest.test';
    await send('t-none', to, 4);
    await waitUntil(() => !!recordFor(to)(), 20_000, `a record for ${to}`);
    const rec = recordFor(to)()!;
    assert.equal(rec.type, 'TransientFailure');
    assert.match(rec.response.content, /accepts none of the offered authentication methods \(offered: no authentication; set socks5_proxy_username/);
  });

  test('a password that cannot be loaded: TransientFailure naming the key source', async () => {
    const to = 'absent@dest.test';
    await send('t-absent', to, 5);
    await waitUntil(() => !!recordFor(to)(), 20_000, `a record for ${to}`);
    const rec = recordFor(to)()!;
    assert.equal(rec.type, 'TransientFailure');
    assert.match(rec.response.content, /cannot load the SOCKS5 proxy password: key\.file: file \S+no-such-password-file\.txt/);
  });
});
