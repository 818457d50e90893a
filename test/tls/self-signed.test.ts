// The generated self-signed certificate file: an existing file that does not parse is replaced
// (saying why); a path that cannot be written (a directory) fails without leaving a temp file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
