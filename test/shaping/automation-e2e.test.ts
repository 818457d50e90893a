import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort, inject, labConfig, readRecords, seqOf, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { Outgoing } from '../queue/lab.js';

/**
 * Automation on the real delivery path: the sink answers with texts that rules match (its
 * local-part convention: `421-ts04-deferred@…` gets "421 ts04 deferred"), and kumo-ts must
 * suspend the path for the rule's duration.
 */
const ZONE = `
["auto.test"]
mx = ["10 mx.auto.test"]
["mx.auto.test"]
a = ["127.0.0.2"]
["thr.test"]
mx = ["10 mx.thr.test"]
["mx.thr.test"]
a = ["127.0.0.3"]
["open.test"]
mx = ["10 mx.open.test"]
["mx.open.test"]
a = ["127.0.0.4"]
["bnc.test"]
mx = ["10 mx.bnc.test"]
["mx.bnc.test"]
a = ["127.0.0.2"]
`;

const SHAPING = `
["auto.test"]
connection_limit = 1
[["auto.test".automation]]
regex = "ts04 deferred"
action = "Suspend"
duration = "6s"

["thr.test"]
connection_limit = 1
[["thr.test".automation]]
regex = "rl0000 busy"
action = "Suspend"
trigger = { Threshold = "3/min" }
duration = "1h"

["open.test"]
connection_limit = 1
[["open.test".automation]]
regex = "please pause"
action = "Suspend"
duration = "1h"

["bnc.test"]
[["bnc.test".automation]]
regex = "bounce me please"
action = "Bounce"
duration = "1h"
`;

describe('automation on the delivery path', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: { at: number; m: SinkMessage }[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let configDir: string;
  let logsDir: string;
  const sinks: Sink[] = [];

  before(async () => {
    // one sink per MX address, all on one port (the source's remote_port)
    for (let attempt = 0; ; attempt++) {
      const first = await startSink({ host: '127.0.0.2', port: 0, dataDelayMs: 50, onMessage: (m) => got.push({ at: Date.now(), m }) });
      sinks.length = 0;
      sinks.push(first);
      try {
        for (const h of ['127.0.0.3', '127.0.0.4']) sinks.push(await startSink({ host: h, port: first.port, dataDelayMs: 50, onMessage: (m) => got.push({ at: Date.now(), m }) }));
        break;
      } catch (e) {
        for (const s of sinks) await s.close();
        if (attempt > 5) throw e;
      }
    }
    cleanups.push(...sinks.map((s) => () => s.close()));
    smtpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: sinks[0].port, zone: ZONE });
    lab.write('config/shaping.toml', SHAPING);
    configDir = join(lab.dir, 'config');
    logsDir = join(lab.dir, 'logs');
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const msg = (to: string, seq: number): Outgoing => ({ from: 'auto@kumo.test', to: [to], data: tagged(seq) });
  const delivered = (lo: number, hi: number) => got.filter((g) => { const s = seqOf(g.m.data); return s >= lo && s < hi; });
  const logged = (pred: (l: Record<string, unknown>) => boolean) => kumo.lines.filter(pred).length;
  /**
   * The positive signal for "nothing went out": a message injected after the held ones, on a
   * path of its own (auto.test, whose 6 s suspension of the first test is over), is delivered.
   */
  const control = async (seq: number) => {
    await inject(smtpPort, [msg(`ctl${seq}@auto.test`, seq)], 1);
    await waitUntil(() => delivered(seq, seq + 1).length === 1, 20_000, `control message ${seq} delivered`);
  };

  test('the sink answers 421 with a matching text: the path is suspended for the duration, then delivers', async (t) => {
    const t0 = Date.now();
    await inject(smtpPort, [msg('421-ts04-deferred@auto.test', 0), ...Array.from({ length: 5 }, (_, i) => msg(`ok${i}@auto.test`, 1 + i))], 1);
    await kumo.waitFor((l) => l.msg === 'shaping automation: rule fired' && l.site === 'mx.auto.test', 10_000, 'the rule to fire');
    const fired = Date.now();
    assert.equal(sinks[0].stats.rejected['421'], 1);
    // explain shows the active suspension (from the persisted automation state)
    const ex = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'auto.test', '-c', configDir], { encoding: 'utf8' });
    assert.equal(ex.status, 0, ex.stderr);
    // explain compiles the whole config: on a loaded machine it can take longer than the 6 s
    // suspension, and then rightly shows none
    const tookMs = Date.now() - fired;
    if (tookMs < 5_000) assert.match(ex.stdout, /active automation:\n {2}Suspend {2}until .*\("auto\.test" \(site mx\.auto\.test\); response: 421 ts04 deferred\)/);
    else t.diagnostic(`explain took ${tookMs} ms, past the suspension: its automation section is not checked`);
    // nothing goes out while suspended: the first delivery comes after the 6 s duration
    await waitUntil(() => delivered(1, 6).length === 5, 30_000, 'delivery after the suspension');
    const first = Math.min(...delivered(1, 6).map((g) => g.at));
    assert.ok(first - fired >= 5000, `delivered ${first - fired} ms after the rule fired (duration 6 s)`);
    assert.ok(first - t0 < 60_000);
  });

  test('a Threshold rule fires only after N matches', async () => {
    let seq = 100;
    for (let n = 1; n <= 3; n++) {
      await inject(smtpPort, [msg(`451-rl0000-busy+${n}@thr.test`, seq++)], 1);
      await waitUntil(() => (sinks[1].stats.rejected['451'] ?? 0) >= n, 10_000, `451 number ${n}`);
      await waitUntil(() => logged((l) => l.site === 'mx.thr.test' && String(l.msg).startsWith('shaping automation: r')) >= n, 5_000, `match ${n} seen`);
      const ok = seq++;
      await inject(smtpPort, [msg(`ok${n}@thr.test`, ok)], 1);
      if (n < 3) {
        await waitUntil(() => delivered(ok, ok + 1).length === 1, 10_000, `ok message after ${n} matches`);
        assert.equal(logged((l) => l.msg === 'shaping automation: rule fired' && l.site === 'mx.thr.test'), 0, `not fired after ${n}`);
      } else {
        assert.equal(logged((l) => l.msg === 'shaping automation: rule fired' && l.site === 'mx.thr.test'), 1, 'fired at the third match');
        await control(seq++);
        assert.equal(delivered(ok, ok + 1).length, 0, 'suspended after the third match');
      }
    }
  });

  test('a matching reply on a connection that stays open stops the messages already queued behind it', async () => {
    // ten messages keep the single connection busy while the rest queue up behind them
    const before = Array.from({ length: 10 }, (_, i) => msg(`early${i}@open.test`, 200 + i));
    const after = Array.from({ length: 5 }, (_, i) => msg(`late${i}@open.test`, 220 + i));
    await inject(smtpPort, [...before, msg('451-please-pause@open.test', 210), ...after], 1);
    await kumo.waitFor((l) => l.msg === 'shaping automation: rule fired' && l.site === 'mx.open.test', 20_000, 'the rule to fire');
    await waitUntil(() => delivered(200, 210).length === 10, 10_000, 'the ten before');
    await control(230);
    assert.equal(delivered(220, 225).length, 0, 'none of the messages behind the matching reply went out');
  });

  test('a Bounce rule bounces the next messages of the path instead of delivering them', async () => {
    await inject(smtpPort, [msg('550-bounce-me-please@bnc.test', 300)], 1);
    await kumo.waitFor((l) => l.msg === 'shaping automation: rule fired' && l.action === 'Bounce', 10_000, 'the Bounce rule to fire');
    await inject(smtpPort, [msg('ok@bnc.test', 301)], 1);
    const outcome = () => readRecords(logsDir).filter((r) => r.recipient === 'ok@bnc.test' && r.type !== 'Reception');
    await waitUntil(() => outcome().length > 0, 10_000, 'an outcome record for ok@bnc.test');
    const rec = outcome();
    assert.deepEqual(rec.map((r) => r.type), ['AdminBounce']);
    assert.match(rec[0].response.content, /bounced by shaping automation: .*550 bounce me please/);
    assert.equal(delivered(301, 302).length, 0, 'its final outcome is the bounce: never delivered');
  });
});
