import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { tempTree } from '../helpers/tmp.js';
import { requireTool } from '../require-tool.js';
import { servedCert, startPebbleLab, waitUntil } from './pebble-lab.js';
import type { PebbleLab } from './pebble-lab.js';

/**
 * DNS-01 through dns01_hook for a wildcard certificate, against pebble with
 * pebble-challtestsrv as its DNS: the hook (a shell script here) publishes the TXT record
 * through challtestsrv's management API (set-txt / clear-txt), as a real hook would through a
 * DNS provider's API.
 */
const skip = requireTool('pebble') || requireTool('pebble-challtestsrv') || requireTool('curl');

// clear-txt removes every value of a name, and the wildcard and the apex share one name: the
// hook keeps the values it published in a file and puts back the ones still wanted
const HOOK = `#!/bin/sh
set -e
mgmt="$1"; state="$2"; action="$3"; name="$4"; value="$5"
# kumo-ts runs one call at a time: a second call while this one sleeps is recorded and fails
if ! mkdir "$state.lock" 2>/dev/null; then echo "overlap $action" >> "$state.calls"; exit 1; fi
trap 'rmdir "$state.lock"' EXIT
sleep 0.3
echo "$action $name $value $ACME_ACTION $ACME_RECORD_NAME" >> "$state.calls"
touch "$state"
if [ "$action" = present ]; then
  echo "$name $value" >> "$state"
  curl -sf --max-time 10 -X POST -d "{\\"host\\":\\"$name.\\",\\"value\\":\\"$value\\"}" "$mgmt/set-txt"
else
  grep -v -F -x "$name $value" "$state" > "$state.new" || true
  mv "$state.new" "$state"
  curl -sf --max-time 10 -X POST -d "{\\"host\\":\\"$name.\\"}" "$mgmt/clear-txt"
  grep -F "$name " "$state" | while read -r n v; do
    curl -sf --max-time 10 -X POST -d "{\\"host\\":\\"$n.\\",\\"value\\":\\"$v\\"}" "$mgmt/set-txt"
  done
fi
`;

describe('ACME DNS-01 through dns01_hook: a wildcard certificate', { skip, timeout: 120_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  let lab: PebbleLab;
  let kumo: ServerProcess;
  let smtps = 0;

  before(async () => {
    let write: (rel: string, text: string) => string;
    ({ dir, cleanup, write } = tempTree({}));
    lab = await startPebbleLab(dir);
    smtps = await freePort();
    const hook = write('hook.sh', HOOK);
    chmodSync(hook, 0o755);
    write('kumo.toml', `
hostname = "mx.wild.kumo.test"
[listener.smtps]
listen = "127.0.0.1:${smtps}"
[listener.smtps.tls]
implicit = true
certificate = { acme = "wild" }
[spool]
path = "${join(dir, 'data', 'spool')}"
[logs]
path = "${join(dir, 'data', 'logs')}"
[http]
enabled = false
[dns]
mode = "static"
zone_file = "zone.toml"
[acme]
directory = "${lab.directory}"
ca = "${lab.caFile}"
dns01_hook = ["${hook}", "http://127.0.0.1:${lab.dnsMgmtPort}", "${join(dir, 'txt-state')}"]
retry_interval = "1s"
max_retry_interval = "2s"
[acme.cert.wild]
names = ["wild.kumo.test", "*.wild.kumo.test"]
`);
    write('zone.toml', '');
    kumo = startKumo(['serve', '--config', dir]);
    await kumo.waitFor((l) => l.msg === 'kumo-ts ready', 30_000, 'kumo-ts ready');
  });
  after(async () => {
    await kumo?.stop();
    await lab?.close();
    cleanup?.();
  });

  test('the hook is called with present/cleanup, the record name and value, one call at a time; the wildcard certificate is served', async () => {
    await kumo.waitFor((l) => l.msg === 'acme: certificate "wild" issued', 60_000, 'wild issued');
    await waitUntil('the wildcard certificate to be served', async () => {
      const c = await servedCert(smtps, 'any.wild.kumo.test', false);
      return /Pebble/.test(c.issuer) && /DNS:\*\.wild\.kumo\.test/.test(c.subjectAltName ?? '') && /DNS:wild\.kumo\.test/.test(c.subjectAltName ?? '');
    }, 15_000);
    const calls = readFileSync(join(dir, 'txt-state.calls'), 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(calls.filter((c) => c[0] === 'overlap'), [], 'no hook call overlapped another');
    // two authorizations (apex and wildcard), one record name: present twice, cleanup twice
    assert.equal(calls.filter((c) => c[0] === 'present').length, 2, JSON.stringify(calls));
    assert.equal(calls.filter((c) => c[0] === 'cleanup').length, 2, JSON.stringify(calls));
    for (const [action, name, value, envAction, envName] of calls) {
      assert.equal(name, '_acme-challenge.wild.kumo.test');
      assert.match(value!, /^[A-Za-z0-9_-]{43}$/, 'the TXT value: base64url of a SHA-256 digest');
      assert.equal(envAction, action);
      assert.equal(envName, name);
    }
    assert.notEqual(calls[0]![2], calls[1]![2], 'each authorization its own value');
    assert.equal(readFileSync(join(dir, 'txt-state'), 'utf8').trim(), '', 'everything published was cleaned up');
  });
});
