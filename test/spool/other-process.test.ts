import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import { newSpoolId } from '../../src/spool/spool-id.js';
import { tempTree } from '../helpers/tmp.js';

// With reception workers the owner reads, in the same poll phase as the worker's "spooled"
// IPC message, what the worker has just committed. The writer here is a second process that
// runs while this one is blocked (execFileSync), so no timer of ours runs in between: the
// read snapshot taken before it is still current when we read.
const spoolModule = fileURLToPath(new URL('../../src/spool/lmdb-spool.js', import.meta.url));

test('a message another process committed is read at once: body, meta and the recovery scan', async () => {
  const { dir, cleanup } = tempTree({});
  const spool = LmdbSpool.open({ path: dir });
  try {
    const id = newSpoolId();
    assert.equal(await spool.getBody('0'.repeat(32)), undefined); // takes a read snapshot now
    const writer = `
      const { LmdbSpool } = await import(${JSON.stringify(spoolModule)});
      const s = LmdbSpool.open({ path: ${JSON.stringify(dir)} });
      await s.put({ id: ${JSON.stringify(id)}, sender: 'a@example.org', recipients: [{ address: 'b@example.net', status: 'pending' }],
        receivedAt: Date.now(), size: 5, reception: { protocol: 'ESMTP', listener: 'smtp', peer: '127.0.0.1' }, attempts: 0, due: 0 }, Buffer.from('hello'));
      await s.close();`;
    execFileSync(process.execPath, ['--input-type=module', '-e', writer], { stdio: 'inherit' });
    assert.equal((await spool.getBody(id))?.toString(), 'hello', 'the body committed by the other process');
    assert.equal((await spool.getMeta(id))?.sender, 'a@example.org');
    const scanned: string[] = [];
    const id2 = newSpoolId();
    execFileSync(process.execPath, ['--input-type=module', '-e', writer.replaceAll(id, id2)], { stdio: 'inherit' });
    for await (const m of spool.scan(id)) scanned.push(m.id);
    assert.deepEqual(scanned, [id, id2]);
  } finally {
    await spool.close();
    cleanup();
  }
});
