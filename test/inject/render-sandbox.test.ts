// Inject templates are rendered in a separate, locked-down process (src/inject/render-sandbox.ts).
// What code run from a template could do there is probed with the renderer's own node flags;
// the renderer's failures (killed, stopped, out of memory) end the request it was serving, not
// the server, and the requests behind it are served by a fresh renderer.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RendererUnavailableError, TemplateSandbox } from '../../src/inject/render-sandbox.js';
import { isolationLevels, rendererExecArgv, rendererLaunch } from '../../src/inject/render-launch.js';
import type { Isolation } from '../../src/inject/render-launch.js';
import type { TemplateJob } from '../../src/inject/render-protocol.js';
import type { RenderLimits } from '../../src/inject/template-budget.js';
import { TemplateError } from '../../src/inject/templates.js';
import { createLogger } from '../../src/logging/logger.js';
import { tempTree } from '../helpers/tmp.js';
import { waitUntil } from '../queue/lab.js';

const require = createRequire(import.meta.url);
const probe = fileURLToPath(new URL('./sandbox-probe.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const LIMITS = { maxChars: 1 << 20, timeMs: 1000 };
/** ~100 ms of rendering per recipient on this kind of machine */
const SLOW = '{% for i in range(100000) %}{% endfor %}slow {{ email }}';
/** seconds of rendering for one recipient, with limits that allow it */
const LONG = '{% for i in range(3000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}long';
const LONG_LIMITS = { maxChars: 1 << 20, timeMs: 60_000, maxOps: 1e9 };

function anAddon(): string | undefined {
  try {
    const dir = dirname(require.resolve('@lmdb/lmdb-linux-x64/package.json'));
    const f = readdirSync(dir).find((n) => n.endsWith('.node'));
    return f ? join(dir, f) : undefined;
  } catch {
    return undefined;
  }
}

/** this process's group id (/proc/self/stat, field 5) */
function processGroup(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** The probe started as the renderer is with `isolation`, or (undefined) as a plain node process. */
function runProbe(isolation: Isolation | undefined, args: object): Record<string, string> {
  const l = isolation ? rendererLaunch(probe, 256, isolation) : { file: process.execPath, args: [probe] };
  const r = spawnSync(l.file, [...l.args, JSON.stringify(args)], { env: {}, encoding: 'utf8', timeout: 20_000, ...('uid' in l && l.uid !== undefined ? { uid: l.uid, gid: l.gid } : {}) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** the strongest isolation this machine allows (what the sandbox starts with) */
const strongest = isolationLevels()[0]!;

const render = async (sb: TemplateSandbox, src: string, emails: string[], limits: RenderLimits = LIMITS): Promise<string[][]> => {
  const job = await sb.open({ parts: [{ part: 'content/text_body', src, html: false }], global: {} });
  try {
    return await job.render(emails.map((email) => ({ email })), limits);
  } finally {
    job.close();
  }
};

describe('inject templates: the renderer process', () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const sb = new TemplateSandbox(log);
  const tree = tempTree({ 'secret.key': 'PRIVATE KEY' }, 'kumo-sandbox-');
  after(() => {
    sb.stop();
    tree.cleanup();
  });

  it('renders in a process of its own, started with the flags probed below, as nobody when the server is root', async () => {
    assert.deepEqual(await render(sb, 'hi {{ email }}', ['a@example.net', 'b@example.net']), [['hi a@example.net'], ['hi b@example.net']]);
    const pid = sb.pid;
    assert.ok(pid && pid !== process.pid);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    for (const flag of rendererExecArgv(2048)) assert.ok(argv.includes(flag), `renderer started with ${flag}: ${argv.join(' ')}`);
    // none but node's own IPC settings
    assert.deepEqual(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((v) => v && !v.startsWith('NODE_CHANNEL_')), [], 'no environment');
    if (isRoot) assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65534\s/m);
    assert.deepEqual(sb.isolation, strongest);
    // a network namespace of its own wherever util-linux's unshare is there (Linux; CI installs it)
    if (strongest.net) assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    if (strongest.net) assert.notEqual(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
    // a process group of its own (kill(0) from it reaches only itself)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    assert.notEqual(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]), processGroup());
  });

  it('code started as the renderer is can write no file, read nothing but its code, start no process, thread or addon, reach no network', async (t) => {
    const listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    after(() => listener.close());
    const port = (listener.address() as AddressInfo).port;
    const args = { writeTo: join(tree.dir, 'written'), readFrom: join(tree.dir, 'secret.key'), addon: anAddon(), port, serverPid: process.pid, serverGroup: processGroup() };
    // the same probe as a plain node process: each attempt works, so the probe can tell
    const open = runProbe(undefined, { ...args, writeTo: join('/tmp', `kumo-probe-${process.pid}`) });
    assert.equal(open.exec, 'done');
    assert.equal(open.worker, 'done');
    assert.equal(open.net, 'done');
    if (!isRoot) t.diagnostic('not root: the read and write controls depend on the temp tree being readable by the current user');
    if (!strongest.net) t.diagnostic('no unshare here: the network is not isolated');
    const shut = runProbe(strongest, args);
    assert.equal(open.signal, 'done');
    assert.deepEqual({ ...shut, signal: undefined, group: undefined, net: undefined }, { write: 'ERR_ACCESS_DENIED', read: 'ERR_ACCESS_DENIED', exec: 'ERR_ACCESS_DENIED', worker: 'ERR_ACCESS_DENIED', addon: args.addon ? 'ERR_DLOPEN_DISABLED' : 'none', signal: undefined, group: undefined, net: undefined, env: '0' });
    // in a PID namespace of its own the server cannot be named, even by the same user
    if (strongest.net) assert.deepEqual([shut.signal, shut.group], ['ESRCH', 'ESRCH']);
    if (strongest.net) assert.equal(shut.net, 'ENETUNREACH', 'loopback unreachable from its own network namespace');
    // the flags alone (the weakest level) still hold the files, processes and addons
    const flagsOnly = runProbe({ net: false, nobody: false }, args);
    assert.equal(flagsOnly.write, 'ERR_ACCESS_DENIED');
    assert.equal(flagsOnly.exec, 'ERR_ACCESS_DENIED');
    assert.ok(rendererExecArgv(256).includes('--experimental-permission'));
    assert.equal(existsSync(args.writeTo), false);
    // as nobody it cannot signal the server either
    if (isRoot && !strongest.net) assert.equal(shut.signal, 'EPERM');
  });

  it('a renderer killed mid-rendering fails that request only: the one queued behind it is served by a fresh renderer', async () => {
    await render(sb, 'warm', ['a@example.net']);
    const first = sb.pid!;
    const a = render(sb, LONG, ['a@example.net'], LONG_LIMITS);
    const b = render(sb, 'after {{ email }}', ['b@example.net']);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(first, 'SIGKILL');
    await assert.rejects(a, (e: unknown) => e instanceof TemplateError && /renderer stopped while rendering \(/.test(e.detail));
    assert.deepEqual(await b, [['after b@example.net']]);
    assert.ok(sb.pid && sb.pid !== first, 'a new renderer');
    assert.ok(lines.some((l) => /template renderer stopped/.test(String(l.msg))), 'logged');
  });

  it('a renderer that stops answering is killed at the deadline: that request fails with a time limit, the next is served', async () => {
    await render(sb, 'warm', ['a@example.net']);
    const stuck = sb.pid!;
    const limits = { ...LIMITS, timeMs: 100 };
    const job = await sb.open({ parts: [{ part: 'content/text_body', src: 'stuck {{ email }}', html: false }], global: {} });
    process.kill(stuck, 'SIGSTOP');
    const a = job.render([{ email: 'a@example.net' }], limits);
    const t0 = Date.now();
    await assert.rejects(a, (e: unknown) => e instanceof TemplateError && e.limit === 'time' && /did not render within 2200 ms; the renderer was stopped/.test(e.detail));
    assert.ok(Date.now() - t0 < 10_000);
    assert.deepEqual(await render(sb, 'next {{ email }}', ['n@example.net']), [['next n@example.net']]);
    assert.notEqual(sb.pid, stuck);
    // the stopped renderer is gone, not left behind stopped
    await waitUntil(() => !existsSync(`/proc/${stuck}`), 5_000, 'the stopped renderer killed');
  });

  it('a rendering that exhausts the renderer\'s heap ends the renderer, not the server', async () => {
    const small = new TemplateSandbox(log, { heapMb: 32 });
    try {
      // within the size limit (2^26 characters), past a 32 MB heap
      const big = '{% set s = "xxxxxxxx" %}{% for i in range(22) %}{% set s = s ~ s %}{% endfor %}{{ s | length }} {{ s | upper | length }}';
      await assert.rejects(render(small, big, ['a@example.net'], { maxChars: 1 << 26, timeMs: 20_000, maxOps: 1e9 }), (e: unknown) => e instanceof TemplateError && /renderer stopped while rendering/.test(e.detail));
      assert.deepEqual(await render(small, '{{ 6 * 7 }}', ['a@example.net']), [['42']]);
    } finally {
      small.stop();
    }
  });

  it('template errors cross the boundary with their part and limit', async () => {
    await assert.rejects(render(sb, '{{ x ', ['a@example.net']), (e: unknown) => e instanceof TemplateError && e.part === 'content/text_body');
    await assert.rejects(render(sb, '{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}', ['a@example.net'], { ...LIMITS, timeMs: 30_000 }), (e: unknown) => e instanceof TemplateError && e.limit === 'work');
  });

  it('a slice of rendering is bounded: a long request is answered in several slices', async () => {
    const job: TemplateJob = await sb.open({ parts: [{ part: 'content/text_body', src: SLOW, html: false }], global: {} });
    const rows = await job.render(Array.from({ length: 50 }, (_, i) => ({ email: `s${i}@example.net` })), LIMITS);
    job.close();
    assert.ok(rows.length >= 1 && rows.length < 50, `one slice: ${rows.length}`);
    assert.equal(rows[0]![0], 'slow s0@example.net');
  });

  it('a renderer that breaks the protocol is stopped: its answers are checked, never trusted, and the server goes on', async () => {
    const hostile = new TemplateSandbox(log, { entry: fileURLToPath(new URL('./hostile-renderer.js', import.meta.url)) });
    try {
      const limits = { maxChars: 1000, timeMs: 1000 };
      for (const mode of ['not-an-object', 'out-of-turn', 'wrong-shape', 'no-rows', 'too-long']) {
        const pid = await render(hostile, 'warm', ['a@example.net'], limits).then(() => hostile.pid);
        await assert.rejects(render(hostile, mode, ['a@example.net'], limits), (e: unknown) => e instanceof TemplateError && /the template renderer sent .* and was stopped/.test(e.detail), mode);
        await waitUntil(() => hostile.pid !== pid || !existsSync(`/proc/${pid}`), 5_000, `${mode}: the renderer killed`);
      }
      // the request queued behind a malformed answer is not to blame: a fresh renderer serves it
      const bad = render(hostile, 'late-wrong-shape', ['a@example.net'], limits);
      const behind = render(hostile, 'behind', ['b@example.net'], limits);
      await assert.rejects(bad, TemplateError);
      assert.deepEqual(await behind, [['ok behind']]);
      // an error of the wrong types becomes a plain template error (no unknown limit kind)
      await assert.rejects(render(hostile, 'odd-error', ['a@example.net'], limits), (e: unknown) => e instanceof TemplateError && e.limit === undefined && e.part === 'content' && e.detail === 'the renderer failed');
      // fields that are not strings are not turned into strings (that walked 2^30 shared parts)
      await assert.rejects(render(hostile, 'shared-parts', ['a@example.net'], limits), (e: unknown) => e instanceof TemplateError && e.detail === 'the renderer failed');
      // more in all than a slice of the real renderer holds
      await assert.rejects(render(hostile, 'too-much', Array.from({ length: 200 }, (_, i) => `r${i}@example.net`), { maxChars: 100_000, timeMs: 1000 }).then(() => undefined), (e: unknown) => e instanceof TemplateError);
      assert.deepEqual(await render(hostile, 'fine', ['a@example.net'], limits), [['ok fine']]);
      assert.ok(lines.some((l) => /sent a malformed answer/.test(String(l.msg))));
    } finally {
      hostile.stop();
    }
  });

  it('a renderer that cannot start with its full isolation starts with less, and says what is missing', async (t) => {
    if (!isRoot) return t.skip('needs root: a script nobody cannot read');
    // a renderer script only root can read: as nobody it cannot start
    const hostile = fileURLToPath(new URL('./hostile-renderer.js', import.meta.url));
    const privateCopy = join(dirname(hostile), `hostile-private-${process.pid}.js`);
    copyFileSync(hostile, privateCopy);
    chmodSync(privateCopy, 0o600);
    const sb2 = new TemplateSandbox(log, { entry: privateCopy });
    try {
      assert.deepEqual(await render(sb2, 'root only', ['a@example.net']), [['ok root only']]);
      assert.equal(sb2.isolation.nobody, false);
      assert.equal(sb2.isolation.net, strongest.net, 'the namespace is kept when only the user change failed');
      assert.ok(lines.some((l) => /could not start with its full isolation/.test(String(l.msg))), 'warned');
    } finally {
      sb2.stop();
      rmSync(privateCopy, { force: true });
    }
  });

  it('an idle renderer does not keep the server process alive; a stopped sandbox refuses', async () => {
    const script = `import { TemplateSandbox } from ${JSON.stringify(new URL('../../src/inject/render-sandbox.js', import.meta.url).href)};
import { createLogger } from ${JSON.stringify(new URL('../../src/logging/logger.js', import.meta.url).href)};
const sb = new TemplateSandbox(createLogger({ out: () => undefined }));
const job = await sb.open({ parts: [{ part: 'p', src: '{{ email }}', html: false }], global: {} });
console.log(JSON.stringify(await job.render([{ email: 'idle@example.net' }], { maxChars: 1000, timeMs: 1000 })));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, 'exited by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[["idle@example.net"]]');
    const stopped = new TemplateSandbox(log);
    stopped.stop();
    await assert.rejects(stopped.open({ parts: [{ part: 'p', src: '{{ a }}', html: false }], global: {} }), RendererUnavailableError);
  });
});
