// RFC 5321 §4.1.2 quoted local parts with spaces or '@' (src/smtp/quoted-local-part.ts): accepted by a
// kumo-ts listener, relayed with the quotes kept, accepted by the sink; malformed ones still 501.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink } from '../../src/sink/sink.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import { freePort, labConfig, readRecords, startLabServer, waitUntil } from '../queue/lab.js';
import { SmtpClient } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('"john doe"@domain and "x@y z"@domain: 250 at MAIL and RCPT, relayed as it is, one Reception and one Delivery record', { timeout: 60_000 }, async () => {
  const got: SinkMessage[] = [];
  const sink = await startSink({ host: '127.0.0.2', port: 0, onMessage: (m) => got.push(m) });
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: '["quoted.test"]\nmx = ["10 mx.quoted.test"]\n["mx.quoted.test"]\na = ["127.0.0.2"]\n' });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());

  const c = await SmtpClient.connect(smtpPort);
  await c.hello('quoted.client.test');
  const r = await c.send('"jane q"@kumo.test', ['"john doe"@quoted.test', '"a\\" b"@quoted.test', '"x@y z"@quoted.test', '"q@at"@quoted.test'], 'From: x@kumo.test\r\nSubject: quoted\r\n\r\nhi\r\n');
  assert.equal(r.mail.code, 250, r.mail.text);
  assert.deepEqual(r.rcpts.map((x) => x.code), [250, 250, 250, 250], r.rcpts.map((x) => x.text).join('; '));
  assert.equal(r.final?.code, 250);
  // still refused: an unterminated quote, a command already holding a placeholder
  for (const bad of ['"open quote@quoted.test', '"a\uE000 b"@quoted.test', '"a\uE001@b"@quoted.test']) {
    const m = await c.cmd('MAIL FROM:<a@kumo.test>');
    assert.equal(m.code, 250);
    const rc = await c.cmd(`RCPT TO:<${bad}>`);
    assert.equal(rc.code, 501, `${bad}: ${rc.code} ${rc.text}`);
    await c.cmd('RSET');
  }
  await c.quit();

  await waitUntil(() => got.length >= 1, 20_000, 'the message at the sink');
  assert.equal(got[0]!.from, '"jane q"@kumo.test');
  assert.deepEqual(got[0]!.to.sort(), ['"a\\" b"@quoted.test', '"john doe"@quoted.test', '"q@at"@quoted.test', '"x@y z"@quoted.test']);
  await waitUntil(() => readRecords(`${lab.dir}/logs`).filter((x) => x.type === 'Delivery').length >= 4, 10_000, 'four Delivery records');
  const recs = readRecords(`${lab.dir}/logs`);
  assert.deepEqual(recs.filter((x) => x.type === 'Reception').map((x) => x.recipient).sort(), ['"a\\" b"@quoted.test', '"john doe"@quoted.test', '"q@at"@quoted.test', '"x@y z"@quoted.test']);
  assert.deepEqual(recs.filter((x) => x.type === 'Delivery').map((x) => x.recipient).sort(), ['"a\\" b"@quoted.test', '"john doe"@quoted.test', '"q@at"@quoted.test', '"x@y z"@quoted.test']);
});
