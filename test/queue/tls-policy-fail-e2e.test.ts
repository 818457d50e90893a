// The TLS policy of a destination cannot be had (DANE on, its validating resolver does not
// answer): the message is not sent without it; it gets a TransientFailure naming the lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { inject, labConfig, readRecords, startLabServer, tagged, waitUntil, freePort } from './lab.js';

test('DANE on and its validating resolver refuses: TransientFailure naming the DNSSEC lookup, nothing sent', { timeout: 60_000 }, async () => {
  // a UDP port with nobody on it (bound, then closed): the resolver's queries are refused
  const u = createSocket('udp4');
  await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
  const deadPort = u.address().port;
  await new Promise<void>((r) => u.close(() => r()));
  const smtpPort = await freePort();
  const lab = labConfig({
    smtpPort, sinkPort: await freePort(),
    zone: '["dane-down.test"]\nmx = ["10 mx.dane-down.test"]\n["mx.dane-down.test"]\na = ["127.0.0.2"]\n',
    main: `[tls_policy]\ndane_resolvers = ["127.0.0.1:${deadPort}"]\n`,
  });
  lab.write('config/shaping.toml', '["dane-down.test"]\nenable_dane = true\n');
  const kumo = await startLabServer(lab.dir);
  try {
    await inject(smtpPort, [{ from: 'a@kumo.test', to: ['r@dane-down.test'], data: tagged(1) }], 1);
    const logs = join(lab.dir, 'logs');
    const failure = () => readRecords(logs).find((r) => r.type === 'TransientFailure' && r.recipient === 'r@dane-down.test');
    await waitUntil(() => !!failure(), 30_000, 'a TransientFailure');
    const rec = failure()!;
    assert.equal(rec.response.code, 451);
    assert.match(rec.response.content, /DANE: DNSSEC lookup for dane-down\.test failed/);
    assert.ok(!readRecords(logs).some((r) => r.type === 'Delivery'), 'nothing delivered without its policy');
  } finally {
    await kumo.stop();
    lab.cleanup();
  }
});
