// DATA deadlines against trickling clients: data_timeout (354 to the final dot, not extended by
// a byte every 200 ms) and min_data_rate (average, after a grace period) end the session with
// 421 4.4.2, counted, logged and recorded as a Rejection; the message is not spooled.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dataRateGrace } from '../../src/smtp/data-deadline.js';
import { inflightBudget } from '../../src/smtp/inflight-budget.js';
import { dataTimeouts } from '../../src/smtp/metrics.js';
import { BASE_MAIN, Harness, SmtpClient, freePort, message, waitFor } from './helpers.js';

async function timeouts(reason: string): Promise<number> {
  return (await dataTimeouts.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Opens DATA, then sends one byte every 200 ms until the server answers. */
async function trickle(port: number): Promise<{ code: number; text: string; ms: number; closed: Promise<void> }> {
  const c = await SmtpClient.connect(port);
  await c.hello();
  assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<b@example.net>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
  const t0 = Date.now();
  c.write('Subject: slow\r\n\r\n');
  const timer = setInterval(() => !c.socket.destroyed && c.socket.writable && c.write('x'), 200);
  try {
    const r = await c.reply(15_000);
    return { code: r.code, text: r.text, ms: Date.now() - t0, closed };
  } finally {
    clearInterval(timer);
  }
}

describe('DATA deadlines', () => {
  let h: Harness;
  const grace = dataRateGrace.ms;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.deadline]
listen = "127.0.0.1:${await freePort()}"
starttls = false
data_timeout = "2s"
min_data_rate = 0

[listener.rate]
listen = "127.0.0.1:${await freePort()}"
starttls = false
data_timeout = "1m"
min_data_rate = "1KB"
`,
    });
  });
  after(async () => {
    dataRateGrace.ms = grace;
    await h.close();
  });

  test('a client trickling a byte every 200 ms gets 421 4.4.2 at data_timeout and is disconnected', async () => {
    const before = await timeouts('deadline');
    const r = await trickle(h.port('deadline'));
    assert.equal(r.code, 421, r.text);
    assert.match(r.text, /^4\.4\.2 /);
    assert.ok(r.ms >= 1800 && r.ms < 10_000, `answered after ${r.ms} ms`);
    await r.closed;
    assert.equal(await timeouts('deadline'), before + 1);
    assert.equal(h.logged(/DATA not finished within data_timeout/).length, 1);
    const rec = (await h.records_('Rejection')).find((x) => x.response.code === 421);
    assert.equal(rec?.response.command, 'DATA');
    assert.equal(rec?.meta.listener, 'deadline');
    assert.equal(await h.spool.count(), 0);
    await waitFor(() => inflightBudget.bytes === 0);
  });

  test('below min_data_rate after the grace period: 421 4.4.2, disconnected', async () => {
    dataRateGrace.ms = 600;
    const before = await timeouts('rate');
    const r = await trickle(h.port('rate'));
    assert.equal(r.code, 421, r.text);
    assert.match(r.text, /^4\.4\.2 .*slowly/);
    assert.ok(r.ms >= 500 && r.ms < 10_000, `answered after ${r.ms} ms`);
    await r.closed;
    assert.equal(await timeouts('rate'), before + 1);
    assert.equal(h.logged(/DATA slower than min_data_rate/).length, 1);
    assert.equal(await h.spool.count(), 0);
  });

  test('a message sent at once is not affected by either deadline', async () => {
    for (const l of ['deadline', 'rate']) {
      const c = await SmtpClient.connect(h.port(l));
      await c.hello();
      const r = await c.send('a@example.org', ['b@example.net'], message());
      assert.equal(r.final?.code, 250, r.final?.text);
      await c.quit();
    }
  });
});
