import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/auth/password-hash.js';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert } from './helpers.js';

const v1 = (src: string) => Buffer.from(`PROXY ${src.includes(':') ? 'TCP6' : 'TCP4'} ${src} ${src.includes(':') ? '::1' : '127.0.0.1'} 40000 25\r\n`);

describe('AUTH failure limit: per address, per username', () => {
  let h: Harness;
  before(async () => {
    const c = await makeCert('mx.test');
    const users = [
      `a:${await hashPassword('a-pw', { kind: 'bcrypt', cost: 4 })}`,
      `b:${await hashPassword('b-pw', { kind: 'bcrypt', cost: 4 })}`,
    ].join('\n');
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.sub]
listen = "127.0.0.1:${await freePort()}"
proxy_protocol_from = ["127.0.0.1"]
tls = { certificate = "cert.pem", private_key = "key.pem" }
auth = { credentials = "users.txt", max_failures = 5 }
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
      'users.txt': users + '\n',
    });
  });
  after(() => h.close());

  async function session(client: string): Promise<SmtpClient> {
    const c = await SmtpClient.connect(h.port('sub'), { preamble: v1(client) });
    await c.hello();
    await c.starttls('mx.test');
    return c;
  }

  test("a successful login for b does not clear a's failures from the same address", async () => {
    const c = await session('203.0.113.10');
    for (let i = 0; i < 4; i++) assert.equal((await c.authPlain('a', `wrong${i}`)).code, 535);
    await c.quit();
    const ok = await session('203.0.113.10');
    assert.equal((await ok.authPlain('b', 'b-pw')).code, 235);
    await ok.quit();
    const d = await session('203.0.113.10');
    assert.equal((await d.authPlain('a', 'wrong5')).code, 535, 'the 5th failure');
    const blocked = await d.authPlain('a', 'a-pw');
    assert.equal(blocked.code, 421, `${blocked.code} ${blocked.text}`);
    assert.match(blocked.text, /^4\.7\.0 /);
    d.close();
    // other usernames from that address are blocked too (no password spraying), other addresses are not
    const e = await session('203.0.113.10');
    assert.equal((await e.authPlain('b', 'b-pw')).code, 421);
    e.close();
    const f = await session('203.0.113.11');
    assert.equal((await f.authPlain('a', 'a-pw')).code, 235);
    await f.quit();
  });

  test('a successful login clears the failures of that username only', async () => {
    const c = await session('203.0.113.20');
    for (let i = 0; i < 4; i++) assert.equal((await c.authPlain('a', `wrong${i}`)).code, 535);
    assert.equal((await c.authPlain('a', 'a-pw')).code, 235);
    await c.quit();
    const d = await session('203.0.113.20');
    for (let i = 0; i < 4; i++) assert.equal((await d.authPlain('b', `wrong${i}`)).code, 535);
    assert.equal((await d.authPlain('b', 'b-pw')).code, 235, "a's cleared failures do not count");
    await d.quit();
  });

  test('IPv6 addresses are counted per /64', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await session(`2001:db8:1:2::${i + 1}`);
      assert.equal((await c.authPlain('a', `wrong${i}`)).code, 535);
      c.close();
    }
    const same = await session('2001:db8:1:2:ffff:ffff:ffff:ffff');
    assert.equal((await same.authPlain('a', 'a-pw')).code, 421);
    same.close();
    const other = await session('2001:db8:1:3::1');
    assert.equal((await other.authPlain('a', 'a-pw')).code, 235);
    await other.quit();
  });
});
