// The generated self-signed certificate file: an existing file that does not parse is replaced
// (saying why); a path that cannot be written (a directory) fails without leaving a temp file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ensureSelfSignedFile } from '../../src/tls/self-signed.js';
import { tempTree } from '../helpers/tmp.js';

test('a stored file whose certificate does not parse is replaced, saying so', async () => {
  const t = tempTree();
  after(() => t.cleanup());
  const path = join(t.dir, 'self.pem');
  writeFileSync(path, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', { mode: 0o600 });
  const r = await ensureSelfSignedFile(path, 'mx.self.test');
  assert.equal(r.generated, true);
  assert.match(r.replaced ?? '', /^it does not parse \(/);
  // the new file is reused next time
  assert.equal((await ensureSelfSignedFile(path, 'mx.self.test')).generated, false);
});

test('a path that is a directory: the error is thrown and no temp file is left', async () => {
  const t = tempTree();
  after(() => t.cleanup());
  const path = join(t.dir, 'self.pem');
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), 'x');
  await assert.rejects(ensureSelfSignedFile(path, 'mx.self.test'), (e: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(e.code ?? ''));
  assert.deepEqual(readdirSync(t.dir), ['self.pem']);
});

/** `count` processes that each call ensureSelfSignedFile(path) at the same moment; their fingerprints. */
async function racers(path: string, count: number): Promise<{ fingerprint256: string; generated: boolean }[]> {
  const mod = new URL('../../src/tls/self-signed.js', import.meta.url).href;
  const code = `const { ensureSelfSignedFile } = await import(${JSON.stringify(mod)});
process.stdout.write('ready\\n');
process.stdin.once('data', async () => { const r = await ensureSelfSignedFile(${JSON.stringify(path)}, 'mx.race.test');
  process.stdout.write(JSON.stringify({ fingerprint256: r.fingerprint256, generated: r.generated }) + '\\n'); process.exit(0); });`;
  const kids = Array.from({ length: count }, () => spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const out = kids.map((k) => {
    let text = '';
    k.stdout.on('data', (d: Buffer) => (text += d.toString()));
    return { k, text: () => text };
  });
  // every process loaded and waiting: then all are told to go at once
  await Promise.all(out.map(({ k, text }) => new Promise<void>((res) => k.stdout.on('data', () => text().includes('ready') && res()))));
  for (const { k } of out) k.stdin.write('go\n');
  await Promise.all(kids.map((k) => new Promise((res) => k.once('exit', res))));
  return out.map(({ text }) => JSON.parse(text().split('\n')[1]!) as { fingerprint256: string; generated: boolean });
}

test('processes that start together (reception workers) end up serving one certificate: one generates, the others reuse it', async () => {
  const t = tempTree();
  after(() => t.cleanup());
  const path = join(t.dir, 'tls', 'mx.race.test.pem');
  const got = await racers(path, 4);
  const onDisk = new X509Certificate(readFileSync(path, 'utf8')).fingerprint256;
  assert.deepEqual(got.map((g) => g.fingerprint256), Array(4).fill(onDisk), 'all four serve the file on disk');
  assert.equal(got.filter((g) => g.generated).length, 1, 'one of them generated it');
  assert.deepEqual(readdirSync(join(t.dir, 'tls')), ['mx.race.test.pem'], 'no lock or temp file left');
});

test('a lock left by a process killed while generating is taken over once stale', async () => {
  const t = tempTree();
  after(() => t.cleanup());
  mkdirSync(join(t.dir, 'tls'));
  const path = join(t.dir, 'tls', 'mx.stale.test.pem');
  writeFileSync(`${path}.lock`, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${path}.lock`, old, old);
  const r = await ensureSelfSignedFile(path, 'mx.stale.test');
  assert.equal(r.generated, true);
  assert.deepEqual(readdirSync(join(t.dir, 'tls')), ['mx.stale.test.pem']);
});
