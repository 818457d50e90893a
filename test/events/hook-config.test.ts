// [log_hook.NAME] in the main file: compiled settings, schema checks and positioned errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { hookWants } from '../../src/events/payload.js';
import type { LogRecord } from '../../src/logging/types.js';
import { tempTree } from '../helpers/tmp.js';

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));
const BASE = '[listener.smtp]\nlisten = "127.0.0.1:2525"\n[http]\nenabled = false\n';

async function compile(hooks: string) {
  const t = tempTree({ 'kumo.toml': BASE + hooks });
  trees.push(t);
  return compileConfig({ root: t.dir });
}

async function issues(hooks: string): Promise<string[]> {
  const res = await compile(hooks);
  assert.equal(res.ok, false, 'the config is refused');
  return res.ok ? [] : res.issues.map((i) => `${i.line}:${i.code}`);
}

test('a webhook and an AMQP hook compile with their defaults and filters', async () => {
  const res = await compile(`
[log_hook.wh]
kind = "webhook"
url = "https://events.example/kumo"
types = ["Delivery", "Bounce"]
tenants = ["acme"]
domains = ["*.example.com", "gmail.com"]
batch_size = 100
batch_wait = "2s"
bearer_token = { key_data = "t0ken" }
hmac = { secret = { key_data = "s3cret" } }
max_message_rate = "1000/s"
[log_hook.mq]
kind = "amqp"
url = "amqp://guest:guest@127.0.0.1:5672/"
exchange = "kumo"
routing_key = "{type}.{tenant}"
`);
  assert.ok(res.ok, JSON.stringify(!res.ok && res.issues));
  if (!res.ok) return;
  const wh = res.snapshot.main.logHooks.get('wh')!;
  assert.equal(wh.batchSize, 100);
  assert.equal(wh.batchWaitMs, 2000);
  assert.equal(wh.hmac?.header, 'X-Kumo-Signature');
  assert.equal(wh.maxMessageRate?.limit, 1000);
  assert.equal(wh.connectionLimit, 4);
  assert.equal(wh.contentType, 'application/json');
  const mq = res.snapshot.main.logHooks.get('mq')!;
  assert.equal(mq.kind, 'amqp');
  assert.equal(mq.routingKey, '{type}.{tenant}');
  assert.equal(mq.batchSize, 1);
  assert.equal(mq.retryIntervalMs, 1000);
  assert.equal(mq.maxAgeMs, 7 * 86_400_000);

  const rec = (type: LogRecord['type'], recipient: string, tenant?: string) => ({ type, recipient, meta: tenant ? { tenant } : {} }) as unknown as LogRecord;
  assert.equal(hookWants(wh, rec('Delivery', 'a@mx.example.com', 'acme')), true);
  assert.equal(hookWants(wh, rec('Delivery', 'a@GMAIL.com', 'acme')), true, 'domains match case-insensitively');
  assert.equal(hookWants(wh, rec('Reception', 'a@gmail.com', 'acme')), false, 'types filter');
  assert.equal(hookWants(wh, rec('Delivery', 'a@gmail.com', 'other')), false, 'tenants filter');
  assert.equal(hookWants(wh, rec('Delivery', 'a@yahoo.com', 'acme')), false, 'domains filter');
  assert.equal(hookWants(mq, rec('Reception', 'a@b')), true, 'no filters: every record');
});

test('bad hooks are refused with positioned errors', async () => {
  assert.deepEqual(await issues('[log_hook.a]\nkind = "webhook"\nurl = "amqp://127.0.0.1/"\n'), ['7:value.url']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "webhook"\nurl = "not a url"\n'), ['7:value.url']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "amqp"\nurl = "http://127.0.0.1/"\n'), ['7:value.url']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "webhook"\nurl = "http://127.0.0.1/"\nexchange = "x"\n'), ['8:value.log-hook']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "amqp"\nurl = "amqp://127.0.0.1/"\nhmac = { secret = "k" }\n'), ['8:value.log-hook']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "webhook"\nurl = "http://127.0.0.1/"\ntemplate = "{{ id "\n'), ['8:value.template']);
  assert.deepEqual(await issues('[log_hook.a]\nkind = "webhook"\nurl = "http://127.0.0.1/"\nmax_message_rate = "fast"\n'), ['8:value.throttle']);
  const unknown = await issues('[log_hook.a]\nkind = "webhook"\nurl = "http://127.0.0.1/"\nbatchsize = 3\n');
  assert.equal(unknown.length, 1);
  assert.match(unknown[0]!, /^8:schema/);
  const kind = await issues('[log_hook.a]\nkind = "kafka"\nurl = "http://127.0.0.1/"\n');
  assert.equal(kind.length, 1);
});
