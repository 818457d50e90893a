// Issue 9 item 5: a garbage AUTH credentials file must not replace a good one (as certificates).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, waitFor } from '../smtp/helpers.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { metricsRegistry } from '../../src/http/metrics.js';

describe('AUTH credentials file replaced while serving', () => {
  let h: Harness;
  const bcrypt = (pw: string) => hashPassword(pw, { kind: 'bcrypt', cost: 4 });

  before(async () => {
    const c = await makeCert('mx.test');
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.sub]
listen = "127.0.0.1:${await freePort()}"
tls = { certificate = "cert.pem", private_key = "key.pem" }
auth = { credentials = "users.txt", max_failures = 100 }
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
      'users.txt': `alice:${await bcrypt('alice-pw')}\nbob:${await bcrypt('bob-pw')}\n`,
    });
  });
  after(() => h.close());

  /** AUTH PLAIN over STARTTLS on a new connection; the reply code. */
  async function auth(user: string, pass: string): Promise<number> {
    const s = await SmtpClient.connect(h.port('sub'));
    try {
      await s.hello();
      await s.starttls('mx.test');
      return (await s.authPlain(user, pass)).code;
    } finally {
      await s.quit();
    }
  }

  const rejections = async () => {
    const m = (await metricsRegistry().getSingleMetric('kumo_ts_auth_credentials_rejected_total')?.get())?.values ?? [];
    return m.filter((v) => v.labels.listener === 'sub').reduce((n, v) => n + v.value, 0);
  };
  /** Rewrites the file and waits until the store has read it (a log line about it). */
  async function replace(text: string, expect: RegExp): Promise<void> {
    const before = h.logged(expect).length;
    writeFileSync(join(h.root, 'users.txt'), text);
    await waitFor(() => h.logged(expect).length > before, 10_000);
  }

  test('garbage is rejected: the old users keep logging in, the garbage does not', async () => {
    assert.equal(await auth('alice', 'alice-pw'), 235);
    const n0 = await rejections();
    await replace('this is not a credentials file\nalice:letmein\n', /new content REJECTED/);
    const text = h.logLines.join('\n');
    assert.match(text, /users\.txt:1: expected \\"username:hash\\"/, 'the log names the file and line');
    assert.match(text, /users\.txt:2: the password of \\"alice\\" is not a bcrypt or scrypt hash/);
    assert.ok(!text.includes('letmein'), 'the secret is never echoed');
    assert.equal(await rejections(), n0 + 1, 'counted in kumo_ts_auth_credentials_rejected_total');
    assert.equal(await auth('alice', 'letmein'), 535);
    assert.equal(await auth('alice', 'alice-pw'), 235);
    assert.equal(await auth('bob', 'bob-pw'), 235, 'a user not seen before the change (no cache) still logs in');
  });

  test('one refused line rejects the whole new file; an empty file too', async () => {
    await replace(`alice:${await bcrypt('new-pw')}\nmallory:plaintext\n`, /new content REJECTED/);
    assert.equal(await auth('alice', 'new-pw'), 535);
    assert.equal(await auth('alice', 'alice-pw'), 235);
    await replace('# nobody\n', /no ..username:hash.. line/);
    assert.equal(await auth('bob', 'bob-pw'), 235);
  });

  test('a valid replacement is loaded as before', async () => {
    await replace(`carol:${await bcrypt('carol-pw')}\n`, /AUTH credentials reloaded/);
    assert.equal(await auth('carol', 'carol-pw'), 235);
    assert.equal(await auth('alice', 'alice-pw'), 535);
  });
});
