// Renders one template in a worker thread for template-budget.test.ts: a template that escapes
// the budget runs a synchronous loop, which only terminating its thread can stop.
import { parentPort, workerData } from 'node:worker_threads';
import { compileTemplate, TemplateError } from '../../src/inject/templates.js';
import type { RenderLimits } from '../../src/inject/template-budget.js';

const { src, vars: given, varsJson, limits, html } = workerData as { src: string; vars: Record<string, unknown>; varsJson?: string; limits: RenderLimits; html: boolean };
// data as JSON text: JSON.parse makes keys such as "__proto__" own keys, as the HTTP API's parser does
const vars = varsJson !== undefined ? (JSON.parse(varsJson) as Record<string, unknown>) : given;
try {
  const out = compileTemplate('content/text_body', src, { html }).render(vars, limits);
  parentPort!.postMessage({ ok: true, out });
} catch (e) {
  parentPort!.postMessage({ ok: false, name: (e as Error).name, message: (e as Error).message, part: (e as TemplateError).part, limit: (e as TemplateError).limit });
}
