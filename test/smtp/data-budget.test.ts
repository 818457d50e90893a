// The in-flight byte budget ([server] max_inflight_bytes): beyond it DATA gets 451 4.3.1, a
// message that outgrows it midway is refused at its end (its bytes dropped as they arrive),
// nothing refused is spooled, and the budget returns to 0.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inflightBudget, inflightRefusals } from '../../src/smtp/inflight-budget.js';
import { metricsRegistry } from '../../src/http/metrics.js';
import { BASE_MAIN, Harness, SmtpClient, freePort, waitFor } from './helpers.js';

const MB = 1024 * 1024;

async function refusals(when: 'data' | 'midway'): Promise<number> {
  return (await inflightRefusals.get()).values.find((v) => v.labels.when === when)?.value ?? 0;
}

/** A message of about `size` bytes in 78-character lines. */
function bigMessage(size: number, tag: string): Buffer {
  const head = `From: a@example.org\r\nTo: b@example.net\r\nSubject: ${tag}\r\nMessage-ID: <${tag}@test>\r\n\r\n`;
  const line = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN\r\n';
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length)), 'latin1');
}

async function toData(c: SmtpClient, size?: number): Promise<number> {
  await c.hello();
  assert.equal((await c.cmd(`MAIL FROM:<a@example.org>${size ? ` SIZE=${size}` : ''}`)).code, 250);
  assert.equal((await c.cmd('RCPT TO:<b@example.net>')).code, 250);
  return (await c.cmd('DATA')).code;
}

describe('in-flight byte budget', () => {
  let h: Harness;
  let port: number;
  before(async () => {
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[server]
max_inflight_bytes = "4MB"
[listener.in]
listen = "127.0.0.1:${await freePort()}"
starttls = false
`,
    });
    port = h.port('in');
  });
  after(() => h.close());

  test('two 3 MB messages at once: one is refused midway with 451 4.3.1 and not spooled, the other gets 250', async () => {
    const [a, b] = await Promise.all([SmtpClient.connect(port), SmtpClient.connect(port)]);
    assert.equal(await toData(a!), 354);
    assert.equal(await toData(b!), 354);
    const ma = bigMessage(3 * MB, 'a');
    const mb = bigMessage(3 * MB, 'b');
    // both hold 1.5 MB, then both carry on: 6 MB do not fit in 4 MB
    a!.write(ma.subarray(0, 1.5 * MB));
    b!.write(mb.subarray(0, 1.5 * MB));
    await waitFor(() => inflightBudget.bytes >= 3 * MB, 20_000);
    a!.write(ma.subarray(1.5 * MB));
    b!.write(mb.subarray(1.5 * MB));
    const [ra, rb] = await Promise.all([(a!.write('.\r\n'), a!.reply(20_000)), (b!.write('.\r\n'), b!.reply(20_000))]);
    const replies = [ra, rb].map((r) => `${r.code} ${r.text}`).sort();
    assert.match(replies[0]!, /^250 /);
    assert.match(replies[1]!, /^451 4\.3\.1 /);
    assert.equal(await h.spool.count(), 1, 'only the accepted message is spooled');
    assert.equal(h.enqueued.length, 1);
    assert.equal(inflightBudget.bytes, 0, 'the budget is back to 0');
    const rej = (await h.records_('Rejection')).find((r) => r.response.code === 451);
    assert.equal(rej?.response.command, 'DATA');
    assert.equal(await refusals('midway'), 1);
    assert.match(await metricsRegistry().getSingleMetricAsString('kumo_ts_smtp_inflight_bytes'), /kumo_ts_smtp_inflight_bytes 0/);

    // and the next message fits again
    const c = await SmtpClient.connect(port);
    assert.equal(await toData(c), 354);
    c.write(bigMessage(3 * MB, 'c'));
    c.write('.\r\n');
    assert.equal((await c.reply(20_000)).code, 250);
    assert.equal(inflightBudget.bytes, 0);
    for (const x of [a!, b!, c]) await x.quit();
  });

  test('the bytes of a message over the budget are dropped as they arrive, before its end', async () => {
    const [a, b] = await Promise.all([SmtpClient.connect(port), SmtpClient.connect(port)]);
    assert.equal(await toData(a!), 354);
    assert.equal(await toData(b!), 354);
    b!.write(bigMessage(2.5 * MB, 'held'));
    await waitFor(() => inflightBudget.bytes >= 2.5 * MB, 20_000);
    const midway = await refusals('midway');
    a!.write(bigMessage(3 * MB, 'dropped')); // no final dot yet
    // a is refused while it still sends: only b's bytes stay reserved
    await waitFor(async () => (await refusals('midway')) === midway + 1, 20_000);
    assert.ok(inflightBudget.bytes < 3 * MB, `${inflightBudget.bytes} bytes reserved`);
    b!.write('.\r\n');
    assert.equal((await b!.reply(20_000)).code, 250);
    a!.write('.\r\n');
    const r = await a!.reply(20_000);
    assert.equal(r.code, 451);
    assert.match(r.text, /^4\.3\.1 /);
    assert.equal(inflightBudget.bytes, 0);
    await a!.quit();
    await b!.quit();
  });

  test('with SIZE= the budget is taken at DATA: a second DATA gets 451 4.3.1 instead of 354', async () => {
    const before = await h.spool.count();
    const [a, b] = await Promise.all([SmtpClient.connect(port), SmtpClient.connect(port)]);
    assert.equal(await toData(a!, 3 * MB), 354);
    const refused = await (async () => {
      await b!.hello();
      await b!.cmd(`MAIL FROM:<a@example.org> SIZE=${3 * MB}`);
      await b!.cmd('RCPT TO:<b@example.net>');
      return b!.cmd('DATA');
    })();
    assert.equal(refused.code, 451);
    assert.match(refused.text, /^4\.3\.1 /);
    // the client did not send the message; the session goes on
    a!.write(bigMessage(3 * MB - 4096, 'sized'));
    a!.write('.\r\n');
    assert.equal((await a!.reply(20_000)).code, 250);
    assert.equal(inflightBudget.bytes, 0);
    assert.equal((await b!.cmd('DATA')).code, 354, 'room again: DATA is accepted');
    b!.write(bigMessage(1 * MB, 'retry'));
    b!.write('.\r\n');
    assert.equal((await b!.reply(20_000)).code, 250);
    assert.equal(await h.spool.count(), before + 2);
    assert.equal(inflightBudget.bytes, 0);
    assert.equal(await refusals('data'), 1);
    await a!.quit();
    await b!.quit();
  });
});
