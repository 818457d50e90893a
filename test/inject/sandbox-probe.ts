// Run by render-sandbox.test.ts with the template renderer's node flags: tries what code that got
// out of a template would try, and reports each outcome (an error code, or "done").
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';

const { writeTo, readFrom, addon, port, serverPid, serverGroup } = JSON.parse(process.argv[process.argv.length - 1]!) as { writeTo: string; readFrom: string; addon?: string; port: number; serverPid: number; serverGroup: number };
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
  // the server (the test process): by its pid, and its whole process group
  signal: attempt(() => process.kill(serverPid, 0)),
  group: attempt(() => process.kill(-serverGroup, 0)),
  env: String(Object.keys(process.env).filter((k) => !k.startsWith('NODE_CHANNEL_')).length),
};
// a loopback connection (the admin API trusts loopback peers)
out.net = await new Promise<string>((resolve) => {
  const s = connect(port, '127.0.0.1', () => {
    s.destroy();
    resolve('done');
  });
  s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
});
process.stdout.write(JSON.stringify(out));
