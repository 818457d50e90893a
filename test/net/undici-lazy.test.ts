import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// dist/test/net → dist/src
const src = fileURLToPath(new URL('../../src/', import.meta.url));

test('undici is not loaded by a process start, only when something first speaks HTTP', () => {
  // a fresh process imports the server (what the owner and each reception worker load) and
  // every module that may send HTTP (the CLI's API client among them); then undici is used
  const script = `
    import { createRequire } from 'node:module';
    const cache = createRequire(import.meta.url).cache;
    const loaded = () => Object.keys(cache).some((k) => k.includes('/node_modules/undici/'));
    for (const m of ['server.js', 'cli/api-client.js', 'keys/vault-source.js', 'delivery/http-session.js',
      'events/webhook-sender.js', 'tls-policy/tls-rpt-subsystem.js', 'tls-policy/mta-sts-fetch.js']) await import(${JSON.stringify(src)} + m);
    const before = loaded();
    const { undici } = await import(${JSON.stringify(src)} + 'net/undici.js');
    const { request } = undici();
    console.log(JSON.stringify({ before, after: loaded(), request: typeof request, same: undici() === undici() }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const last = JSON.parse(out.trim().split('\n').at(-1)!) as { before: boolean; after: boolean; request: string; same: boolean };
  assert.deepEqual(last, { before: false, after: true, request: 'function', same: true });
});
