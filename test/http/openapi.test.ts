import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Fastify from 'fastify';
import { tempTree } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';
import { ConfigMonitor } from '../../src/config/monitor.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { composeServer } from '../../src/runtime/compose.js';
import { HttpSubsystem } from '../../src/http/subsystem.js';
import { installErrorHandling, schemaErrorFormatter } from '../../src/http/listener-errors.js';
import { installValidation } from '../../src/http/listener-validation.js';

/** fastify's "/a/:id" as OpenAPI's "/a/{id}". */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

test('GET /api/docs/openapi.json lists every registered route, each with its JSON Schema', async () => {
  const tree = tempTree();
  const port = await freePort();
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\n`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
  // the real server, in this process, so that the routes fastify registered can be listed
  const log = createLogger({ level: 'warn' });
  const store = new ConfigStore();
  const monitor = new ConfigMonitor({ root: join(tree.dir, 'cfg'), store, log });
  await monitor.start();
  const subsystems = await composeServer({ store, log, monitor });
  after(async () => {
    await monitor.stop();
    for (const s of subsystems.reverse()) await s.stop(Date.now() + 3_000);
    tree.cleanup();
  });
  const http = subsystems.find((s): s is HttpSubsystem => s instanceof HttpSubsystem)!;
  const routes = http.listeners.get('default')!.routes.filter((r) => r.method !== 'HEAD');
  assert.ok(routes.length >= 5, JSON.stringify(routes.map((r) => r.url)));

  const res = await fetch(`http://127.0.0.1:${port}/api/docs/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
  assert.match(doc.openapi, /^3\./);
  const problems: string[] = [];
  for (const r of routes) {
    const what = `${r.method} ${r.url}`;
    const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
    if (!op) problems.push(`${what}: missing from the OpenAPI document`);
    const schema = r.schema as Record<string, unknown> | undefined;
    if (!schema?.response) problems.push(`${what}: no response schema`);
    if (r.url.includes(':') && !schema?.params) problems.push(`${what}: path parameters without a params schema`);
    if (!schema?.summary && !schema?.description) problems.push(`${what}: no summary or description`);
  }
  assert.deepEqual(problems, []);
  for (const p of ['/api/check-liveness/v1', '/api/config/status', '/api/admin/bump-config-epoch', '/api/admin/bump-configuration', '/metrics', '/api/docs/openapi.json'])
    assert.ok(doc.paths[p], `${p} in the document`);
  assert.deepEqual(Object.keys(doc.paths['/api/admin/bump-configuration']!), ['post']);
});

test('schema validation errors are 400 JSON naming the field; bodies are not coerced, query strings are', async () => {
  const app = Fastify({ schemaErrorFormatter });
  installValidation(app);
  installErrorHandling(app, createLogger({ level: 'error' }), 'test');
  app.post('/t', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['recipients'],
        properties: { recipients: { type: 'array', items: { type: 'object', required: ['email'], properties: { email: { type: 'string' } } } }, mode: { enum: ['a', 'b'] } },
      },
      querystring: { type: 'object', properties: { want_body: { type: 'boolean' } } },
    },
  }, async (req) => ({ query: req.query }));
  after(() => app.close());
  const post = async (body: unknown, query = '') => {
    const r = await app.inject({ method: 'POST', url: `/t${query}`, payload: body as object });
    return { status: r.statusCode, body: r.json() as { error: string; message: string; query?: unknown } };
  };
  assert.deepEqual(await post({ recipients: [{ email: 5 }] }), { status: 400, body: { error: 'bad_request', message: 'body/recipients/0/email must be string' } });
  assert.deepEqual((await post({ recipients: [{}] })).body.message, 'body/recipients/0/email is required');
  assert.deepEqual((await post({})).body.message, 'body/recipients is required');
  assert.deepEqual((await post({ recipients: [], extra: 1 })).body.message, 'body/extra is not a known field');
  assert.deepEqual((await post({ recipients: [], mode: 'c' })).body.message, 'body/mode must be one of "a", "b"');
  assert.deepEqual((await post({ recipients: [] }, '?want_body=maybe')).body.message, 'querystring/want_body must be boolean');
  assert.deepEqual(await post({ recipients: [] }, '?want_body=true'), { status: 200, body: { query: { want_body: true } } });
});
