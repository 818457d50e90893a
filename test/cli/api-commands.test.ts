// The admin and queue commands end to end: `bin/kumo-ts <command>` against a real `kumo-ts
// serve` holding mail queued behind an unreachable destination; exit codes and --json output.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecords } from '../queue/lab.js';
import { freePort } from '../helpers/ports.js';
import { ApiClient } from '../../src/cli/api-client.js';
import { eventually, jsonOf, runCli, startCliLab } from './cli-lab.js';
import type { CliLab } from './cli-lab.js';
import type {
  BounceV1ListEntry, BounceV1Response, InjectV1Response, InspectMessageV1Response, QueueSummaryV1, SuspendReadyQV1ListEntry, SuspendV1ListEntry,
} from '../../src/cli/api-types.js';

let lab: CliLab;
let ep: string[];
let client: ApiClient;

before(async () => {
  lab = await startCliLab();
  ep = ['--endpoint', lab.endpoint];
  client = new ApiClient({ endpoint: lab.endpoint });
  await lab.send('blackhole.test', 30);
  await lab.send('void.test', 20);
  await lab.send('nowhere.test', 10);
});
after(async () => {
  await client?.close();
  await lab?.cleanup();
});

// state checks go through the client in process (each CLI child costs seconds on a busy machine)
const summary = () => client.queueSummary();
const countOf = (s: QueueSummaryV1, name: string) => s.scheduled.find((q) => q.name === name)?.count ?? 0;
/** waits until every message sent has failed once and is back in its scheduled queue */
const settled = (want: Record<string, number>) =>
  eventually(async () => {
    const s = await summary();
    return Object.entries(want).every(([n, c]) => countOf(s, n) === c) ? s : undefined;
  }, 30_000, `scheduled counts ${JSON.stringify(want)}`);

test('queue-summary: --json is the server answer; the table lists the queues largest first', async () => {
  const s = await settled({ 'blackhole.test': 30, 'void.test': 20, 'nowhere.test': 10 });
  assert.equal(s.totals.scheduled, 60);
  assert.ok(s.totals.received_total >= 60);
  const [r, fromJson, fromConfig] = await Promise.all([
    runCli(['queue-summary', ...ep]),
    runCli(['queue-summary', ...ep, '--json']),
    // the endpoint from the config's [http] listen, as validate reads the config dir
    runCli(['queue-summary', '-c', lab.configDir, '--json']),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonOf<QueueSummaryV1>(fromJson).scheduled.map((q) => [q.name, q.count]), s.scheduled.map((q) => [q.name, q.count]));
  const lines = r.stdout.split('\n');
  assert.match(lines[1], /^QUEUE\s+COUNT\s+OLDEST\s+STATE$/);
  assert.match(lines[2], /^blackhole\.test\s+30\s+\d+[smh]/);
  assert.match(lines[3], /^void\.test\s+20\s/);
  assert.match(r.stdout, /Totals: scheduled 60, ready \d+; since start: received \d+/);
  assert.equal(jsonOf<QueueSummaryV1>(fromConfig).totals.scheduled, 60);
});

test('exit codes: 3 when the server cannot be reached, 2 for usage errors, 1 when the server refuses', async () => {
  const closed = await freePort();
  const down = await runCli(['queue-summary', '--endpoint', `http://127.0.0.1:${closed}`]);
  assert.equal(down.code, 3);
  assert.equal(down.stderr, `kumo-ts: GET http://127.0.0.1:${closed}/api/admin/queue-summary/v1: cannot reach the server: connection refused (is kumo-ts serve running with its HTTP API on this address?)\n`);
  assert.equal(down.stdout, '');

  const usage = [['bounce', '--reason', 'x'], ['bounce', '--domain', 'a.test'], ['suspend', '--domain', 'a.test', '--reason', 'x', '--duration', 'soon'],
    ['queue-summary', '--bogus'], ['rebind', '--domain', 'a.test'], ['inject'], ['inject', join(lab.dir, 'missing.json')],
    ['inject', lab.write('not-json.json', '{"recipients": [')], ['queue-summary', '--endpoint', 'http://[::1']];
  const [refused, badBody, ...usageRuns] = await Promise.all([
    runCli(['inspect', '0123456789abcdef0123456789abcdef', ...ep]),
    runCli(['bounce-cancel', 'not-an-id', ...ep]),
    ...usage.map((args) => runCli(args.includes('--endpoint') ? args : [...args, ...ep])),
  ]);
  usage.forEach((args, i) => {
    const r = usageRuns[i];
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.trim().split('\n').length === 1, r.stderr);
  });
  assert.match(usageRuns[7].stderr, /^kumo-ts: .*not-json\.json: not JSON: /);
  assert.match(usageRuns[8].stderr, /^kumo-ts: invalid --endpoint "http:\/\/\[::1" \(expected http:\/\/HOST:PORT or https:\/\/HOST:PORT\)/);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `kumo-ts: GET ${lab.endpoint}/api/admin/inspect-message/v1?id=0123456789abcdef0123456789abcdef: 404 Not Found: no message with id 0123456789abcdef0123456789abcdef in the spool\n`);
  assert.equal(badBody.code, 1);
  assert.match(badBody.stderr, new RegExp(`^kumo-ts: DELETE ${lab.endpoint}/api/admin/bounce/v1: 4\\d\\d `));
});

test('inspect: envelope and metadata, the content with --want-body', async () => {
  const rec = await eventually(async () => readRecords(join(lab.dir, 'logs')).find((r) => r.type === 'Reception' && r.recipient === 'u0@blackhole.test'), 20_000, 'the Reception record');
  const [j, human] = await Promise.all([runCli(['inspect', rec.id, '--want-body', ...ep, '--json']), runCli(['inspect', rec.id, ...ep])]);
  const r = jsonOf<InspectMessageV1Response>(j);
  assert.equal(r.id, rec.id);
  assert.equal(r.message.sender, 'sender@kumo.test');
  assert.match(r.message.data!, /^X-Lab-Seq: 0\r?$/m);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^id: +${rec.id}$`, 'm'));
  assert.match(human.stdout, /^recipient: +u0@blackhole\.test$/m);
  assert.doesNotMatch(human.stdout, /X-Lab-Seq/);
});

test('suspend, suspend-ready-q, suspend-list (both kinds), resume (either kind)', async () => {
  const [sr, rqr] = await Promise.all([
    runCli(['suspend', '--domain', 'void.test', '--reason', 'talking to postmaster', '--duration', '10m', ...ep, '--json']),
    runCli(['suspend-ready-q', 'unspecified->mx.void.test@smtp_client', '--reason', 'maintenance', ...ep, '--json']),
  ]);
  const s = jsonOf<{ id: string }>(sr);
  const rq = jsonOf<{ id: string }>(rqr);
  const [listRun, human] = await Promise.all([runCli(['suspend-list', ...ep, '--json']), runCli(['suspend-list', ...ep])]);
  const list = jsonOf<{ scheduled: SuspendV1ListEntry[]; ready: SuspendReadyQV1ListEntry[] }>(listRun);
  assert.deepEqual(list.scheduled.map((e) => [e.id, e.domain, e.reason]), [[s.id, 'void.test', 'talking to postmaster']]);
  assert.deepEqual(list.ready.map((e) => [e.id, e.name]), [[rq.id, 'unspecified->mx.void.test@smtp_client']]);
  assert.equal((await summary()).scheduled.find((q) => q.name === 'void.test')?.suspended?.id, s.id);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^scheduled +${s.id} +domain=void\\.test +\\d+m\\d*s? +talking to postmaster$`, 'm'));
  assert.match(human.stdout, new RegExp(`^ready +${rq.id} +ready-q=unspecified->mx\\.void\\.test@smtp_client +\\d+m\\d*s? +maintenance$`, 'm'));

  const resumed = await Promise.all([runCli(['resume', s.id, ...ep, '--json']), runCli(['resume', rq.id, ...ep, '--json'])]);
  assert.deepEqual(resumed.map((r) => jsonOf<{ kind: string }>(r).kind), ['scheduled', 'ready']);
  // the same without --json: one line each that says how to lift it / that it was lifted
  const [hs, hrq] = await Promise.all([
    runCli(['suspend', '--domain', 'other.test', '--reason', 'by hand', ...ep]),
    runCli(['suspend-ready-q', 'unspecified->mx.other.test@smtp_client', '--reason', 'by hand', ...ep]),
  ]);
  const hsId = /^suspension (\S+) active \(kumo-ts resume \1 to lift it\)\n$/.exec(hs.stdout)?.[1];
  const hrqId = /^suspension (\S+) of ready queue unspecified->mx\.other\.test@smtp_client active \(kumo-ts resume \1 to lift it\)\n$/.exec(hrq.stdout)?.[1];
  assert.ok(hsId && hrqId, hs.stdout + hs.stderr + hrq.stdout + hrq.stderr);
  const [hr1, hr2] = await Promise.all([runCli(['resume', hsId, ...ep]), runCli(['resume', hrqId, ...ep])]);
  assert.equal(hr1.stdout, `scheduled queue suspension ${hsId} lifted\n`, hr1.stderr);
  assert.equal(hr2.stdout, `ready queue suspension ${hrqId} lifted\n`, hr2.stderr);
  const [again, empty] = await Promise.all([runCli(['resume', s.id, ...ep]), runCli(['suspend-list', ...ep])]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no active suspension has id/);
  assert.equal(empty.stdout, 'no active suspensions\n');
});

test('bounce (no progress display off a TTY), bounce-list, bounce-cancel', async () => {
  const r = await runCli(['bounce', '--domain', 'nowhere.test', '--reason', 'bad list', '--duration', '10m', ...ep]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^bounce (\S+) registered; 10 messages bounced\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const id = m[1];
  assert.equal(countOf(await summary(), 'nowhere.test'), 0);
  const [listRun, human] = await Promise.all([runCli(['bounce-list', ...ep, '--json']), runCli(['bounce-list', ...ep])]);
  const list = jsonOf<BounceV1ListEntry[]>(listRun);
  assert.deepEqual(list.map((e) => [e.id, e.domain, e.reason, e.total_bounced]), [[id, 'nowhere.test', 'bad list', 10]]);
  assert.match(human.stdout, new RegExp(`^${id} +domain=nowhere\\.test +10 +\\d+m\\d*s? +bad list$`, 'm'));
  const records = await eventually(async () => {
    const n = readRecords(join(lab.dir, 'logs')).filter((x) => x.type === 'AdminBounce' && String(x.recipient).endsWith('@nowhere.test')).length;
    return n === 10 ? n : undefined;
  }, 20_000, '10 AdminBounce records');
  assert.equal(records, 10);

  assert.equal((await runCli(['bounce-cancel', id, ...ep])).code, 0);
  const [emptyList, gone] = await Promise.all([runCli(['bounce-list', ...ep]), runCli(['bounce-cancel', id, ...ep])]);
  assert.equal(emptyList.stdout, 'no active bounce rules\n');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404 Not Found: no active bounce with id/);

  const j = jsonOf<BounceV1Response>(await runCli(['bounce', '--queue', 'no-such-queue.test', '--reason', 'nothing', ...ep, '--json']));
  assert.equal(j.total_bounced, 0);
});

test('rebind --data routing_domain moves the queued mail to another scheduled queue', async () => {
  const r = jsonOf<{ matched: number; moved: number }>(await runCli(['rebind', '--domain', 'blackhole.test', '--data', 'routing_domain=void.test', '--reason', 'route via void', ...ep, '--json']));
  assert.equal(r.matched, 30);
  assert.equal(r.moved, 30);
  // moved mail is due now: it fails once more (void.test's MX is unreachable too) and waits in its new queue
  const s = await settled({ 'blackhole.test!void.test': 30 });
  assert.equal(countOf(s, 'blackhole.test'), 0);
  const back = await runCli(['rebind', '--routing-domain', 'void.test', '--domain', 'blackhole.test', '--data', '{"routing_domain":"blackhole.test"}', ...ep]);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, /^rebind done: 30 matched, 30 moved to another queue, 30 due now\n$/);
});

test('inject: a KumoMTA inject v1 JSON file, or a message file with --sender and --to', async () => {
  const body = lab.write('inject.json', JSON.stringify({
    envelope_sender: 'app@kumo.test',
    recipients: [{ email: 'one@blackhole.test', name: 'One' }],
    content: { from: { email: 'app@kumo.test' }, subject: 'hello {{ name }}', text_body: 'Hi {{ name }}' },
  }));
  const msg = lab.write('message.eml', 'From: app@kumo.test\nSubject: plain\n\nbody\n');
  const [aRun, b, bad] = await Promise.all([
    runCli(['inject', body, ...ep, '--json']),
    runCli(['inject', '--message', msg, '--sender', 'app@kumo.test', '--to', 'two@blackhole.test', '--to', 'three@void.test', ...ep]),
    runCli(['inject', lab.write('bad.json', JSON.stringify({ recipients: [{ email: 'x@blackhole.test' }], content: 'Subject: x\n\nx' })), ...ep]),
  ]);
  const a = jsonOf<InjectV1Response>(aRun);
  assert.deepEqual([a.success_count, a.fail_count], [1, 0]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout, 'injected 2, failed 0\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^kumo-ts: POST http:\/\/127\.0\.0\.1:\d+\/api\/inject\/v1: 400 Bad Request: .*envelope_sender/);
  await eventually(async () => ((await summary()).totals.received_total >= 63 ? true : undefined), 20_000, 'the injected messages received');
});

test('top --once (and top off a TTY): one screen of the summary, then exit', async () => {
  const r = await runCli(['top', '--once', ...ep]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(lab.endpoint), r.stdout);
  assert.match(r.stdout, /void\.test\s+\d+/);
  assert.ok(r.stdout.split('\n').every((l) => l === l.trimEnd()), 'no trailing blanks');
  const piped = await runCli(['top', ...ep]);
  assert.equal(piped.code, 0, 'off a TTY top prints one screen and exits');
  assert.match(piped.stdout, /void\.test\s+\d+/);
});

// last: it edits the lab's main file (and restores it)
test('reload: a rejected config prints its errors and exits 1; the epoch keeps serving; fixed, it goes live', async () => {
  const file = join(lab.configDir, 'kumo.toml');
  const good = readFileSync(file, 'utf8');
  writeFileSync(file, `${good}\n[no_such_table]\nx = 1\n`);
  try {
    const r = await runCli(['reload', ...ep]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [err, last] = r.stderr.trim().split('\n').slice(-2);
    assert.match(err, /kumo\.toml:\d+:\d+: unknown key "no_such_table"/);
    assert.match(last, /^config rejected; epoch \d+ keeps serving$/);
    assert.equal(r.stdout, '');
  } finally {
    writeFileSync(file, good);
  }
  const ok = await runCli(['reload', ...ep]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^epoch \d+ live\n$/);
});

// last as well: it gives the lab a tenant only an authenticated sender may use
test('inject: recipients the server refused are listed and the exit code is 1', async () => {
  writeFileSync(join(lab.configDir, 'queues.toml'), 'tenant_header = "X-Tenant"\n[tenant.locked]\nrequire_authz = ["someone"]\n');
  const live = await runCli(['reload', ...ep]);
  assert.equal(live.code, 0, live.stderr);
  const body = lab.write('locked.json', JSON.stringify({
    envelope_sender: 'app@kumo.test',
    recipients: [{ email: 'x@blackhole.test' }],
    content: { from: { email: 'app@kumo.test' }, subject: 's', text_body: 'b', headers: { 'X-Tenant': 'locked' } },
  }));
  const r = await runCli(['inject', body, ...ep]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, 'injected 0, failed 1\nfailed: x@blackhole.test\nerror: x@blackhole.test: 550 5.7.1 not authorized to send for tenant "locked"\n');
  assert.equal(r.stderr, `kumo-ts: POST ${lab.endpoint}/api/inject/v1: 1 recipient(s) failed: x@blackhole.test: 550 5.7.1 not authorized to send for tenant "locked"\n`);
});
