// A renderer that breaks the protocol, for render-sandbox.test.ts: what code that took over the
// real renderer could send back. The template's source names what it does.
process.on('message', (m: { op: string; id: number; job: number; spec?: { parts: { src: string }[] }; recipients: unknown[]; limits: { maxChars: number } }) => {
  if (m.op === 'open') {
    modes.set(m.job, m.spec!.parts[0]!.src);
    return void process.send!({ id: m.id, rows: [] });
  }
  if (m.op !== 'render') return;
  const mode = modes.get(m.job) ?? '';
  const send = (x: unknown) => process.send!(x);
  switch (mode) {
    case 'not-an-object': return send(42);
    case 'out-of-turn': return send({ id: m.id + 1000, rows: [['x']] });
    case 'wrong-shape': return send({ id: m.id, rows: [[1, 2]] });
    // the same, once the next request is queued behind this one
    case 'late-wrong-shape':
      // busy for 300 ms, as a real rendering (answers come in order)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      send({ id: m.id, rows: [[1, 2]] });
      // and busy again, so that it is killed before it answers the request queued behind
      return void setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_000));
    case 'no-rows': return send({ id: m.id, rows: [] });
    case 'too-long': return send({ id: m.id, rows: [['x'.repeat(2000)]] });
    case 'odd-error': return send({ id: m.id, error: { part: { nested: true }, detail: 7, limit: 'forever' } });
    case 'shared-parts': {
      // String() of this walks 2^30 entries
      let x: unknown[] = [];
      for (let d = 0; d < 30; d++) x = [x, x];
      return send({ id: m.id, error: { part: x, detail: x } });
    }
    case 'too-much': return send({ id: m.id, rows: Array.from({ length: m.recipients.length }, () => ['y'.repeat(m.limits.maxChars)]) });
    default: return send({ id: m.id, rows: [[`ok ${mode}`]] });
  }
});
const modes = new Map<number, string>();
process.on('disconnect', () => process.exit(0));
process.send!({ op: 'ready' });
