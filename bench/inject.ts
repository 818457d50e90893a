// bench/inject: HTTP injection throughput. POST /api/inject/v1 with batches of B recipients
// (builder content: subject, text and HTML parts with substitutions, ~S bytes per generated
// message), R requests in flight; every message takes the full reception path (trace headers,
// DKIM when --dkim, durable spool write with group commit, Reception record) before the answer.
// Reports recipients/s and the server's CPU per recipient.
//
//   node dist/bench/inject.js [--recipients 20000] [--batch 100] [--concurrency 4] [--size 2048] [--dkim]
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import { benchArgs } from './lab/args.js';
import { HOLDING_QUEUE, startBenchKumo } from './lab/kumo-config.js';
import { childPids, cpuSeconds, cpuSecondsOf } from './lab/proc.js';
import { freePort } from './lab/serve.js';

const args = benchArgs(['--dkim']);
const RECIPIENTS = Number(args.get('recipients') ?? 20_000);
const BATCH = Number(args.get('batch') ?? 100);
const CONCURRENCY = Number(args.get('concurrency') ?? 4);
const SIZE = Number(args.get('size') ?? 2048);
const DKIM = args.get('dkim') === 'true';

/** utime + stime of a process, in ms. */
const cpuMs = (pid: number) => cpuSeconds(pid) * 1000;
/** of its live children (the template renderer, reception workers), in ms */
const childrenMs = (pid: number) => cpuSecondsOf(childPids(pid), false) * 1000;

async function main(): Promise<void> {
  const port = await freePort();
  const files: Record<string, string> = { 'queues.toml': `tenant_header = "X-Tenant"\ncampaign_header = "X-Campaign"\n${HOLDING_QUEUE}` };
  if (DKIM) {
    files['k1.pem'] = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    files['dkim.toml'] = `[domain."example.com"]\nselector = "k1"\nfilename = "k1.pem"\n`;
  }
  const kumo = await startBenchKumo({ name: 'inject', httpPort: port, files, cpuProfDir: process.env.BENCH_CPU_PROF });
  const child = kumo.child;
  const url = `http://127.0.0.1:${port}/api/inject/v1`;

  // ~SIZE bytes per generated message: a text and an HTML part of about SIZE/2 - headers each
  const para = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ';
  const partLen = Math.max(100, Math.floor((SIZE - 600) / 2));
  const text = 'Hello {{ name }}, your code is {{ code }}.\n' + (para.repeat(Math.ceil(partLen / para.length)).slice(0, partLen) + '\n');
  const html = '<p>Hello {{ name }}, your code is <b>{{ code }}</b>.</p>\n<p>' + para.repeat(Math.ceil(partLen / para.length)).slice(0, partLen) + '</p>\n';
  const body = (from: number, n: number) => JSON.stringify({
    envelope_sender: 'bounces@example.com',
    substitutions: { campaign: 'bench' },
    recipients: Array.from({ length: n }, (_, k) => ({ email: `user${from + k}@example.net`, name: `User ${from + k}`, substitutions: { code: `C-${from + k}` } })),
    content: {
      from: { email: 'news@example.com', name: 'Bench News' },
      subject: 'Offer {{ campaign }} for {{ name }}',
      headers: { 'X-Tenant': 'bench', 'X-Campaign': '{{ campaign }}' },
      text_body: text,
      html_body: html,
    },
  });
  const post = async (from: number, n: number) => {
    const r = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(from, n) });
    const j = (await r.body.json()) as { success_count: number; fail_count: number; errors: string[] };
    if (r.statusCode !== 200 || j.fail_count) throw new Error(`inject failed: ${r.statusCode} ${JSON.stringify(j).slice(0, 300)}`);
    return j.success_count;
  };

  try {
    // warm up (JIT, first spool pages), not counted
    await post(10_000_000, BATCH);
    const requests = Math.ceil(RECIPIENTS / BATCH);
    let next = 0;
    let done = 0;
    const c0 = cpuMs(child.pid!);
    // the template renderer started with the warm-up request
    const r0 = childrenMs(child.pid!);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        const i = next++;
        const n = await post(i * BATCH, Math.min(BATCH, RECIPIENTS - i * BATCH));
        done += n;
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const own = cpuMs(child.pid!) - c0;
    const renderer = childrenMs(child.pid!) - r0;
    const cpu = own + renderer;
    const rate = done / secs;
    console.log(`recipients: ${done} in ${requests} requests of ${BATCH}, ${CONCURRENCY} in flight, ~${SIZE} B builder messages, DKIM ${DKIM ? 'rsa-2048' : 'off'}, durable spool`);
    console.log(`throughput: ${rate.toFixed(0)} recipients/s (${secs.toFixed(2)} s)`);
    console.log(`server CPU: ${(cpu / done * 1000).toFixed(0)} µs per recipient (${(cpu / 1000).toFixed(2)} CPU s, ${((cpu / (secs * 1000)) * 100).toFixed(0)}% of one core; of it the template renderer ${(renderer / done * 1000).toFixed(0)} µs)`);
    console.log(`target ≥ 3,000 recipients/s: ${rate >= 3000 ? 'met' : 'not met'}`);
  } finally {
    await kumo.stop();
  }
}

await main();
