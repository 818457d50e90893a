import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempTree } from '../helpers/tmp.js';
import { compileConfig } from '../../src/config/compile.js';

const tree = tempTree();
after(() => tree.cleanup());
const base = `[server]\nsmtp = false\n[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;

async function compile(http: string) {
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', base + http);
  return compileConfig({ root: `${tree.dir}/cfg` });
}

test('[http] and [http.listener.NAME] compile to main.http.listeners, defaults loopback-only', async () => {
  tree.write('cfg/users', '');
  const r = await compile(`[http]\nlisten = "127.0.0.1:18000"\n[http.listener.ops]\nlisten = "127.0.0.1:18443"\nmax_body_size = "2MB"\nauth = { tokens = { key_data = "ci:sha256:${'a'.repeat(64)}" } }\n`);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  const http = r.snapshot.main.http;
  assert.equal(http.listen.port, 18000);
  assert.deepEqual([...http.listeners.keys()], ['default', 'ops']);
  const ops = http.listeners.get('ops')!;
  assert.equal(ops.maxBodySize, 2 * 1024 * 1024);
  assert.equal(http.maxBodySize, 64 * 1024 * 1024);
  assert.ok(ops.trustedHosts.has('127.0.0.1') && !ops.trustedHosts.has('10.0.0.1'));
  assert.equal(ops.auth?.tokens?.kind, 'inline');
  assert.equal(ops.auth?.maxFailures, 5);
});

test('bad HTTP listener configs are refused with positioned errors', async () => {
  const codes = async (http: string) => {
    const r = await compile(http);
    assert.equal(r.ok, false, http);
    return !r.ok ? r.issues.filter((i) => i.severity === 'error').map((i) => `${i.code}@${i.line}`) : [];
  };
  assert.deepEqual(await codes(`[http]\nlisten = "127.0.0.1:18000"\n[http.listener.b]\nlisten = "127.0.0.1:18000"\n`), ['value.duplicate-listen@13']);
  assert.deepEqual(await codes(`[http.listener.default]\nlisten = "127.0.0.1:18001"\n`), ['value.http-listener-name@10']);
  assert.deepEqual(await codes(`[http]\nauth = {}\n`), ['value.http-auth@11']);
  assert.deepEqual(await codes(`[http]\nauth = { tokens = "missing-file" }\n`), ['file.missing@11']);
  assert.deepEqual(await codes(`[http]\nmax_body_size = "lots"\n`), ['value.size@11']);
  assert.ok((await codes(`[http.listener.x]\nenabled = true\n`)).length >= 1); // listen is required
});
