import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ConfigIssue } from './issues.js';
import type { Reporter } from './report.js';
import { validateAgainstSchema } from './schema-validate.js';
import type { ConfigKind } from './schema-validate.js';
import { displayName, loadSourceFile } from './source-file.js';
import type { SourceFile } from './source-file.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import { yieldIfBusy } from './yield.js';

/** Files larger than this are parsed and validated off the main thread. */
export const WORKER_THRESHOLD = 32 * 1024;

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, (r: ParseReply) => void>();

function getWorker(): Worker {
  if (!worker) {
    const w = (worker = new Worker(new URL('./parse-worker.js', import.meta.url)));
    w.on('message', (r: ParseReply) => {
      pending.get(r.id)?.(r);
      pending.delete(r.id);
      // idle: the worker must not keep the process alive (a 'message' listener refs it)
      if (!pending.size) w.unref();
    });
    /* c8 ignore next 5 -- the parser worker thread itself crashing: no config file provokes it */
    w.on('error', (e) => {
      for (const done of pending.values()) done({ id: 0, ok: false, issues: [{ file: '?', line: 1, col: 1, code: 'internal', message: `config parser failed: ${e.message}`, severity: 'error' }] });
      pending.clear();
      worker = undefined;
    });
  }
  // busy: referenced until the reply, so an await on it cannot end the process early
  worker.ref();
  return worker;
}

/**
 * Loads and schema-validates one config file, reporting problems into `r`. Returns the file
 * only when it is valid. Small files are parsed inline; large ones in a worker thread.
 */
export async function loadValidated(path: string, kind: ConfigKind, r: Reporter): Promise<SourceFile | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    r.raw({ file: displayName(path), line: 1, col: 1, code: 'file.read', message: `cannot read file: ${(e as Error).message}`, severity: 'error' });
    return undefined;
  }
  if (text.length < WORKER_THRESHOLD) {
    const res = loadSourceFile(path, text);
    if (!res.ok) {
      r.raw(res.issue);
      return undefined;
    }
    return validateAgainstSchema(kind, res.file, r) ? res.file : undefined;
  }
  const reply = await new Promise<ParseReply>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    getWorker().postMessage({ id, path, text, kind } satisfies ParseRequest);
  });
  reply.issues.forEach((i: ConfigIssue) => r.raw(i));
  if (!reply.ok || !reply.valid) return undefined;
  // Re-assemble the data a key at a time, yielding so the event loop keeps serving.
  const data: Record<string, unknown> = {};
  for (const [k, json] of reply.chunks) {
    data[k] = JSON.parse(json);
    await yieldIfBusy();
  }
  // Positions for semantic errors are computed lazily (a re-parse, only if there are errors).
  const lazy = loadSourceFile.bind(null, path, text);
  let located: SourceFile | undefined;
  return {
    name: displayName(path),
    path,
    format: path.endsWith('.toml') ? 'toml' : path.endsWith('.json') ? 'json' : 'yaml',
    text,
    data,
    locate(p, what) {
      if (!located) {
        const res = lazy();
        if (!res.ok) return { line: 1, col: 1 };
        located = res.file;
      }
      return located.locate(p, what);
    },
  };
}
