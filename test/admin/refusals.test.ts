// The admin API's refusals of a bad directive (400 naming the field, 404 for an unknown id),
// against a real `kumo-ts serve` (HTTP only, no SMTP listener). Nothing refused is stored: the
// lists stay empty.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { api } from './helpers.js';

describe('admin API refusals', () => {
  const tree = tempTree({}, 'kumo-admin-refusals-');
  let srv: ServerProcess;
  let base: string;
  before(async () => {
    const port = await freePort();
    tree.write('cfg/zone.toml', '');
    tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n[spool]\npath = "${tree.dir}/data/spool"\n` +
      `[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
    srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
    await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await srv?.stop('SIGKILL');
    tree.cleanup();
  });

  const refused = async (method: 'POST' | 'DELETE', path: string, body: unknown, status: number, message: string | RegExp) => {
    const r = await api<{ error: string; message: string }>(base, method, path, body);
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error, status === 404 ? 'not_found' : 'bad_request');
    if (typeof message === 'string') assert.equal(r.body.message, message);
    else assert.match(r.body.message, message);
  };

  test('bounce and suspend: a bad expires or duration is refused naming the field', async () => {
    for (const path of ['/api/admin/bounce/v1', '/api/admin/suspend/v1']) {
      await refused('POST', path, { domain: 'example.net', reason: 'r', expires: 'tomorrow' }, 400, 'body/expires: not an RFC 3339 date-time: "tomorrow"');
      await refused('POST', path, { domain: 'example.net', reason: 'r', expires: '2001-01-01T00:00:00Z' }, 400, 'body/expires: is in the past');
      await refused('POST', path, { domain: 'example.net', reason: 'r', duration: 'soon' }, 400, /^body\/duration: .*soon/);
      await refused('POST', path, { domain: 'example.net', reason: 'r', duration: '0s' }, 400, 'body/duration: must be longer than 0s');
      // beyond what a date can hold: was a 500, with the rule saved and every later list a 500
      await refused('POST', path, { domain: 'example.net', reason: 'r', duration: '99999999999d' }, 400, 'body/duration: longer than 100 years');
      await refused('POST', path, { domain: 'example.net', reason: 'r', expires: '9999-01-01T00:00:00Z' }, 400, 'body/expires: more than 100 years ahead');
      // an empty selector field matched nothing: a directive that silently did nothing
      for (const field of ['domain', 'tenant', 'campaign', ...(path.includes('bounce') ? ['routing_domain'] : [])])
        await refused('POST', path, { [field]: '', reason: 'r' }, 400, `body/${field}: must NOT have fewer than 1 characters`);
      // an empty queue_names read as "no restriction" and selected every queue: a client whose
      // computed list came out empty bounced everything
      await refused('POST', path, { queue_names: [], reason: 'r' }, 400, 'body/queue_names: must NOT have fewer than 1 items');
    }
    assert.deepEqual((await api(base, 'GET', '/api/admin/bounce/v1')).body, []);
    assert.deepEqual((await api(base, 'GET', '/api/admin/suspend/v1')).body, []);
  });

  test('suspend-ready-q: an empty name or a bad duration is refused', async () => {
    await refused('POST', '/api/admin/suspend-ready-q/v1', { name: '  ', reason: 'r' }, 400, 'body/name: must not be empty');
    await refused('POST', '/api/admin/suspend-ready-q/v1', { name: 'q', reason: 'r', duration: '0s' }, 400, 'body/duration: must be longer than 0s');
    assert.deepEqual((await api(base, 'GET', '/api/admin/suspend-ready-q/v1')).body, []);
  });

  test('cancelling an unknown id: 404 naming the id, for each kind', async () => {
    await refused('DELETE', '/api/admin/bounce/v1', { id: 'nope-1' }, 404, 'no active bounce with id nope-1');
    await refused('DELETE', '/api/admin/suspend/v1', { id: 'nope-2' }, 404, 'no active suspension with id nope-2');
    await refused('DELETE', '/api/admin/suspend-ready-q/v1', { id: 'nope-3' }, 404, 'no active ready-queue suspension with id nope-3');
  });

  test('a ready-queue suspension with an explicit expiry is listed with it, then cancelled', async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const r = await api<{ id: string }>(base, 'POST', '/api/admin/suspend-ready-q/v1', { name: ' unspecified->mx.example.net@smtp_client ', reason: 'maint', expires });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const list = (await api<{ id: string; name: string; expires: string }[]>(base, 'GET', '/api/admin/suspend-ready-q/v1')).body;
    assert.equal(list.length, 1);
    assert.equal(list[0].name, 'unspecified->mx.example.net@smtp_client', 'the name is trimmed');
    assert.ok(Math.abs(Date.parse(list[0].expires) - Date.parse(expires)) < 1000, `listed expiry ${list[0].expires}, asked ${expires}`);
    assert.equal((await api(base, 'DELETE', '/api/admin/suspend-ready-q/v1', { id: r.body.id })).status, 200);
    assert.deepEqual((await api(base, 'GET', '/api/admin/suspend-ready-q/v1')).body, []);
  });

  test('rebind with trigger_rebind_event is refused (no such event here)', async () => {
    await refused('POST', '/api/admin/rebind/v1', { domain: 'example.net', reason: 'r', trigger_rebind_event: true }, 400, /^body\/trigger_rebind_event: not supported/);
  });
});
