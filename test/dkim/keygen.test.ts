import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { signAtReception } from '../../src/dkim/sign.js';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { message, snapshotWith, tempDir } from './helpers.js';

const run = promisify(execFile);
const BIN = join(PACKAGE_ROOT, 'bin/kumo-ts');
const tmp = tempDir();
after(tmp.cleanup);

/** The TXT value of a zone line: its quoted strings joined. */
function txtOf(line: string): { name: string; value: string; strings: string[] } {
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  return { name: line.split(/\s+/)[0].replace(/\.$/, ''), value: strings.join(''), strings };
}

async function keygen(...args: string[]) {
  return run(process.execPath, [BIN, 'dkim-keygen', ...args], { cwd: tmp.dir });
}

describe('kumo-ts dkim-keygen', () => {
  for (const algo of ['rsa', 'ed25519'] as const) {
    it(`${algo}: writes a 0600 PKCS8 key and prints a TXT record that verifies what it signs`, async () => {
      const root = join(tmp.dir, algo);
      const { stdout } = await keygen('--algo', algo, '--domain', 'Example.COM', '--selector', 'k1', '--config', root, ...(algo === 'rsa' ? ['--bits', '1024'] : []));
      // default --out: <config root>/dkim/<domain>/<selector>.key, where dkim.toml looks by default
      const keyFile = join(root, 'dkim/example.com/k1.key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.match(readFileSync(keyFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
      const txt = txtOf(stdout.trim());
      assert.equal(txt.name, 'k1._domainkey.example.com');
      assert.match(stdout, new RegExp(`^k1\\._domainkey\\.example\\.com\\. IN TXT "v=DKIM1; k=${algo}; p=`));
      assert.ok(txt.strings.every((s) => s.length <= 255));
      // a 1024-bit RSA record and an Ed25519 one fit one string
      assert.equal(txt.strings.length, 1);

      const snap = await snapshotWith(root, {
        'dkim.toml': `[domain."example.com"]\nselector = "k1"\nalgo = "${algo === 'rsa' ? 'sha256' : 'ed25519'}"\n`,
      });
      const out = await signAtReception(snap, message());
      assert.equal(out.action, 'signed', JSON.stringify(out));
      const signed = Buffer.concat([Buffer.from(out.action === 'signed' ? out.headers : ''), message()]);
      const res = await verifyDkim(signed, new StaticResolver({ [txt.name]: { txt: [txt.value] } }));
      assert.deepEqual(res.map((r) => r.result), ['pass']);
    });
  }

  it('splits a 2048-bit RSA record into 255-character strings', async () => {
    const { stdout } = await keygen('--algo', 'rsa', '--domain', 'example.com', '--selector', 'big', '--out', 'big.key');
    const txt = txtOf(stdout);
    assert.equal(txt.strings.length, 2);
    assert.equal(txt.strings[0].length, 255);
  });

  it('refuses to overwrite a key without --force, and rejects bad arguments', async () => {
    const once = join(tmp.dir, 'once.key');
    await keygen('--algo', 'ed25519', '--domain', 'example.com', '--selector', 's', '--out', 'once.key');
    const first = readFileSync(once, 'utf8');
    await assert.rejects(keygen('--algo', 'ed25519', '--domain', 'example.com', '--selector', 's', '--out', 'once.key'),
      (e: { code: number; stderr: string }) => e.code === 2 && /already exists \(use --force/.test(e.stderr));
    assert.equal(readFileSync(once, 'utf8'), first, 'the refused run left the key alone');
    await keygen('--algo', 'ed25519', '--domain', 'example.com', '--selector', 's', '--out', 'once.key', '--force');
    assert.notEqual(readFileSync(once, 'utf8'), first, '--force wrote a new key');
    assert.equal(statSync(once).mode & 0o777, 0o600);
    await assert.rejects(keygen('--algo', 'dsa', '--domain', 'example.com', '--selector', 's', '--out', 'x.key'),
      (e: { code: number; stderr: string }) => e.code === 2 && /--algo must be rsa or ed25519/.test(e.stderr));
    await assert.rejects(keygen('--algo', 'rsa', '--bits', '512', '--domain', 'example.com', '--selector', 's', '--out', 'x.key'),
      (e: { code: number; stderr: string }) => e.code === 2 && /--bits must be an integer from 1024 to 8192/.test(e.stderr));
    assert.equal(existsSync(join(tmp.dir, 'x.key')), false, 'no key written for bad arguments');
  });
});
