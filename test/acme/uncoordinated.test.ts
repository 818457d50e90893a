import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';
import { run, startPebbleLab, waitUntil } from './pebble-lab.js';
import type { PebbleLab } from './pebble-lab.js';

/**
 * A node with [redis] whose Redis is down when it orders: it orders without coordination (and
 * says so) rather than not at all. Then a reload that removes one of its certificates drops
 * that certificate's metric series. Against pebble; nothing listens on the Redis port. No
 * [acme] contact: the second order reuses the account registered by the first (pebble refused
 * the empty account update acme-client made of that).
 */
const skip = requireTool('pebble') || requireTool('pebble-challtestsrv') || requireTool('curl');

/** the kumo_ts_acme_* gauge series of /metrics, by 'name{labels}' */
async function acmeSeries(port: number): Promise<string[]> {
  const r = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/metrics`], 15_000);
  assert.equal(r.status, 0, r.out);
  return r.out.split('\n').filter((l) => /^kumo_ts_acme_(next_renewal|certificate_expiry|last_failure|consecutive_failures)[a-z_]*\{/.test(l)).map((l) => l.split(' ')[0]!);
}

describe('ACME with [redis] down at order time; a reload that drops a certificate', { skip, timeout: 240_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  let lab: PebbleLab;
  let kumo: ServerProcess;
  let httpPort: number;
  const config = (certs: string[], redisPort: number, smtp: number) => `
hostname = "mx.kumo.test"
[listener.smtp]
listen = "127.0.0.1:${smtp}"
[listener.smtp.tls]
certificate = { acme = "mx" }
[spool]
path = "${join(dir, 'data', 'spool')}"
[logs]
path = "${join(dir, 'data', 'logs')}"
[http]
listen = "127.0.0.1:${httpPort}"
[dns]
mode = "static"
zone_file = "zone.toml"
[redis]
url = "redis://127.0.0.1:${redisPort}"
[acme]
directory = "${lab.directory}"
ca = "${lab.caFile}"
http01_listen = "127.0.0.1:${lab.http01Port}"
retry_interval = "1s"
max_retry_interval = "2s"
${certs.map((c) => `[acme.cert.${c}]\nnames = ["${c}.kumo.test"]\n`).join('')}`;
  let write: (certs: string[]) => void;

  before(async () => {
    ({ dir, cleanup } = tempTree({}, 'kumo-acme-uncoord-'));
    lab = await startPebbleLab(dir);
    httpPort = await freePort();
    const redisPort = await freePort(); // nothing listens there
    const smtp = await freePort();
    write = (certs) => writeFileSync(join(dir, 'kumo.toml'), config(certs, redisPort, smtp));
    writeFileSync(join(dir, 'zone.toml'), '');
    write(['mx', 'spare']);
    kumo = startKumo(['serve', '--config', dir]);
    await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'kumo-ts ready');
  });

  after(async () => {
    await kumo?.stop();
    await lab?.close();
    cleanup?.();
  });

  test('Redis down: each certificate is ordered without coordination (logged) and issued', async () => {
    for (const c of ['mx', 'spare']) {
      const warn = await kumo.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith(`acme: ordering certificate "${c}" without coordination: Redis `), 90_000, `uncoordinated order of ${c}`);
      assert.equal(warn.level, 'warn');
      await kumo.waitFor((l) => l.msg === `acme: certificate "${c}" issued`, 90_000, `${c} issued`);
    }
  });

  test('a reload without "spare" drops its metric series; "mx" keeps its own', async () => {
    const before = await acmeSeries(httpPort);
    assert.ok(before.some((s) => s.includes('cert="spare"')), before.join('\n'));
    write(['mx']);
    await kumo.waitFor((l) => l.msg === 'config epoch 2 live', 60_000, 'epoch 2');
    let now: string[] = [];
    await waitUntil('the series of "spare" to go', async () => !(now = await acmeSeries(httpPort)).some((s) => s.includes('cert="spare"')), 30_000)
      .catch((e: Error) => assert.fail(`${e.message}:\n${now.join('\n')}`));
    assert.ok(now.some((s) => s.startsWith('kumo_ts_acme_certificate_expiry_timestamp_seconds{cert="mx"}')), now.join('\n'));
  });
});
