// The dns01_hook runner with real commands: a hook that cannot be started, one that fails with
// its output in the error, and a failure that does not block the calls queued after it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { Dns01Hook } from '../../src/acme/dns01-hook.js';
import { AcmeOrderError } from '../../src/acme/errors.js';
import { createLogger } from '../../src/logging/logger.js';
import { tempTree } from '../helpers/tmp.js';

const t = tempTree({
  'fail.sh': '#!/bin/sh\necho "zone $ACME_DOMAIN is locked" >&2\nexit 3\n',
  'ok.sh': '#!/bin/sh\necho "$1 $2 $3 $ACME_ACTION $ACME_DOMAIN" >> "$(dirname "$0")/calls"\n',
});
after(() => t.cleanup());
chmodSync(`${t.dir}/fail.sh`, 0o755);
chmodSync(`${t.dir}/ok.sh`, 0o755);
const call = { action: 'present', domain: 'x.test', name: '_acme-challenge.x.test', value: 'v1' } as const;

test('a hook that cannot be started, and one that exits non-zero: AcmeOrderError with the reason; the next call still runs', async () => {
  const hook = new Dns01Hook(createLogger({ out: () => undefined }));
  const missing = hook.run([`${t.dir}/no-such-hook`], call);
  const failing = hook.run([`${t.dir}/fail.sh`], call);
  const ok = hook.run([`${t.dir}/ok.sh`], { ...call, action: 'cleanup' });
  await assert.rejects(missing, (e: unknown) => e instanceof AcmeOrderError && e.code === 'ACME_ORDER_FAILED' && e.message.includes('no-such-hook') && /ENOENT/.test(e.message));
  await assert.rejects(failing, (e: unknown) => e instanceof AcmeOrderError && /fail\.sh \(present _acme-challenge\.x\.test\) exited 3: zone x\.test is locked/.test(e.message));
  await ok;
  assert.equal(readFileSync(`${t.dir}/calls`, 'utf8'), 'cleanup _acme-challenge.x.test v1 cleanup x.test\n');
});
