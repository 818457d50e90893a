// `node dist/bench/_profile-split.js FILE.cpuprofile`: where a kumo-ts relay profile's CPU went,
// by side (reception, delivery, spool, records, start-up) and by self time of the top functions.
// A sample counts for the side its stack is in (docs/workers.md uses this split).
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/_profile-split.js FILE.cpuprofile');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const time = new Map<number, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const d = p.timeDeltas[i] ?? 0;
  time.set(id, (time.get(id) ?? 0) + d);
  total += d;
});

const frame = (n: Node) => {
  const u = n.callFrame.url;
  const where = u.includes('node_modules/') ? u.replace(/.*node_modules\//, '') : u.replace(/.*\/dist\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
};

function side(stack: string[]): string {
  const top = stack[0]!;
  if (top.startsWith('(idle)')) return 'idle';
  if (top.startsWith('(garbage collector)')) return 'GC';
  if (top.startsWith('(program)')) return 'native, unattributed';
  const s = stack.join('|');
  if (/modules\/esm|modules\/cjs|compileConfig|ajv|monitor\.js|runServer|composeServer/.test(s) && !/onStreamRead|onconnection/.test(s)) return 'start-up, config';
  if (/nodemailer|delivery\/|queue\/manager|ready-queue/.test(s) && !/smtp-server/.test(s)) return 'delivery (queue, nodemailer client, outcome)';
  if (/smtp-server|smtp\/|onconnection/.test(s)) return 'reception (accept, SMTP server, DATA, spool put, record)';
  if (/lmdb|msgpackr/.test(s)) return 'spool (lmdb, msgpack)';
  if (/logging\/record-writer/.test(s)) return 'log records';
  return 'other';
}

const sides = new Map<string, number>();
const self = new Map<string, number>();
for (const [id, t] of time) {
  const stack: string[] = [];
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) stack.push(frame(byId.get(x)!));
  const k = side(stack);
  sides.set(k, (sides.get(k) ?? 0) + t);
  self.set(stack[0]!, (self.get(stack[0]!) ?? 0) + t);
}
const busy = total - (sides.get('idle') ?? 0);
console.log(`${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
for (const [k, t] of [...sides].sort((a, b) => b[1] - a[1]))
  console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)} % of samples  ${k === 'idle' ? '      ' : `${((100 * t) / busy).toFixed(1).padStart(5)} %`} of busy  ${k}`);
console.log('top self time:');
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`);
