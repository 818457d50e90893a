/**
 * The template renderer process (started by render-sandbox.ts). Inject templates come from API
 * clients and nunjucks turns them into JavaScript: whatever the checks of template-syntax.ts
 * miss would run here, in a process that may read only its own code, write no file, start no
 * process or thread, load no addon, has no environment, runs as `nobody` when the server runs
 * as root, has no network where the system allows a namespace, and holds no spool, key or config. Its heap is capped, so a rendering that runs away
 * in memory ends this process, not the server.
 *
 * One message at a time, in order: the server counts each answer's deadline from the previous.
 */
import { compileTemplate, TemplateError } from './templates.js';
import type { CompiledTemplate } from './templates.js';
import { recipientVars } from './render-protocol.js';
import type { FromRenderer, ToRenderer, Variables, WireTemplateError } from './render-protocol.js';

/** a slice of rendering ends after this long, or this many characters, so that answers come often */
const SLICE_MS = 50;
const SLICE_CHARS = 4 * 1024 * 1024;
/** jobs the server did not close (it went away mid-request) are forgotten oldest first */
const MAX_JOBS = 1024;

const jobs = new Map<number, { readonly templates: readonly CompiledTemplate[]; readonly global: Variables }>();

function wire(e: unknown): WireTemplateError {
  if (e instanceof TemplateError) return { part: e.part, detail: e.detail, ...(e.limit ? { limit: e.limit } : {}) };
  return { part: 'content', detail: `the renderer failed: ${(e as Error)?.message ?? String(e)}` };
}

function handle(m: ToRenderer): FromRenderer | undefined {
  if (m.op === 'close') {
    jobs.delete(m.job);
    return undefined;
  }
  if (m.op === 'open') {
    const templates = m.spec.parts.map((p) => compileTemplate(p.part, p.src, { html: p.html }));
    jobs.set(m.job, { templates, global: m.spec.global });
    if (jobs.size > MAX_JOBS) jobs.delete(jobs.keys().next().value!);
    return { id: m.id, rows: [] };
  }
  const job = jobs.get(m.job);
  if (!job) return { id: m.id, unknownJob: true };
  const start = Date.now();
  const rows: string[][] = [];
  let chars = 0;
  for (const r of m.recipients) {
    const vars = recipientVars(job.global, r);
    const row = job.templates.map((t) => t.render(vars, m.limits));
    rows.push(row);
    for (const s of row) chars += s.length;
    if (chars >= SLICE_CHARS || Date.now() - start >= SLICE_MS) break;
  }
  return { id: m.id, rows };
}

process.on('message', (m: ToRenderer) => {
  let reply: FromRenderer | undefined;
  try {
    reply = handle(m);
  } catch (e) {
    reply = { id: (m as { id: number }).id, error: wire(e) };
  }
  if (reply) process.send!(reply);
});
// the server went away: nothing is left to do
process.on('disconnect', () => process.exit(0));
process.send!({ op: 'ready' } satisfies FromRenderer);
