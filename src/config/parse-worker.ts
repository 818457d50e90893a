// Worker thread that parses and schema-validates large config files, so that a 10,000-domain
// shaping file never stalls the event loop of a running server. It returns the data as one
// JSON string per top-level key, which the main thread re-assembles in small slices.
import { parentPort } from 'node:worker_threads';
import { loadSourceFile } from './source-file.js';
import { Reporter } from './report.js';
import { validateAgainstSchema } from './schema-validate.js';
import type { ConfigKind } from './schema-validate.js';
import type { ConfigIssue } from './issues.js';

export interface ParseRequest {
  id: number;
  path: string;
  text: string;
  kind: ConfigKind;
}

export type ParseReply =
  | { id: number; ok: true; valid: boolean; issues: ConfigIssue[]; chunks: [string, string][] }
  | { id: number; ok: false; issues: ConfigIssue[] };

parentPort?.on('message', (req: ParseRequest) => {
  const res = loadSourceFile(req.path, req.text);
  if (!res.ok) {
    parentPort!.postMessage({ id: req.id, ok: false, issues: [res.issue] } satisfies ParseReply);
    return;
  }
  const r = new Reporter();
  const valid = validateAgainstSchema(req.kind, res.file, r);
  const data = res.file.data;
  const chunks: [string, string][] =
    data && typeof data === 'object' && !Array.isArray(data)
      ? Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)])
      : [];
  parentPort!.postMessage({ id: req.id, ok: true, valid, issues: r.issues, chunks } satisfies ParseReply);
});
