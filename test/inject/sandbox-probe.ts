// Run by render-sandbox.test.ts with the template renderer's node flags: tries what code that got
// out of a template would try, and reports each outcome (an error code, or "done").
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const { writeTo, readFrom, addon } = JSON.parse(process.argv[2]!) as { writeTo: string; readFrom: string; addon?: string };
const attempt = (f: () => unknown): string => {
  try {
    f();
    return 'done';
  } catch (e) {
    return String((e as { code?: string }).code ?? (e as Error).message);
  }
};
const out: Record<string, string> = {
  write: attempt(() => writeFileSync(writeTo, 'escaped')),
  read: attempt(() => readFileSync(readFrom)),
  exec: attempt(() => execFileSync('/bin/true')),
  worker: attempt(() => new Worker('0', { eval: true }).terminate()),
  addon: addon ? attempt(() => process.dlopen({ exports: {} } as NodeJS.Module, addon)) : 'none',
  signal: attempt(() => process.kill(process.ppid, 0)),
  env: String(Object.keys(process.env).length),
};
process.stdout.write(JSON.stringify(out));
