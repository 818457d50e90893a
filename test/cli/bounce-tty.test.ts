// `kumo-ts bounce` on a terminal (a pty from script(1)) against an API without the queue-summary
// route (a KumoMTA server, here a fastify stand-in): the progress probe is dropped, the bounce
// still goes through and is reported.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import Fastify from 'fastify';
import { needTool } from '../require-tool.js';
import { BIN } from './cli-lab.js';

test('bounce on a TTY: a server without the queue summary still bounces (no progress probe)', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'script')) return;
  const app = Fastify();
  const seen: string[] = [];
  app.addHook('onRequest', async (req) => void seen.push(`${req.method} ${req.url}`));
  app.post('/api/admin/bounce/v1', async () => ({ id: 'b-77', bounced: {}, total_bounced: 3 }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const endpoint = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const cmd = [process.execPath, BIN, 'bounce', '--endpoint', endpoint, '--domain', 'x.test', '--reason', 'cleanup']
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
    execFile('script', ['-qfec', cmd, '/dev/null'], { timeout: 50_000 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout })));
  assert.equal(out.code, 0, out.stdout);
  assert.match(out.stdout, /bounce b-77 registered; 3 messages bounced/);
  assert.ok(seen.includes('GET /api/admin/queue-summary/v1'), `the probe asked for the summary (a TTY): ${seen.join(', ')}`);
  assert.ok(seen.includes('POST /api/admin/bounce/v1'));
});
