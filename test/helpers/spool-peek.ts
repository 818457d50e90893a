// Reads the spool of a running kumo-ts child process (LMDB allows readers in other processes):
// what is spooled is the positive signal a negative check waits on ("nothing left to deliver").
import { open } from 'lmdb';

function read<T>(spoolDir: string, db: 'meta' | 'body', f: (values: Iterable<{ value: unknown }>) => T): T {
  const env = open({ path: spoolDir, readOnly: true, maxDbs: 4, compression: false });
  try {
    const d = env.openDB<unknown, string>({ name: db, encoding: db === 'body' ? 'binary' : 'msgpack' });
    return f(d.getRange());
  } finally {
    void env.close();
  }
}

/** The bodies of the messages spooled now. */
export function spooledBodies(spoolDir: string): Buffer[] {
  return read(spoolDir, 'body', (r) => [...r].map((e) => e.value as Buffer));
}

/** How many messages are spooled now. */
export function spooledCount(spoolDir: string): number {
  return read(spoolDir, 'meta', (r) => [...r].length);
}

/** What is spooled now, one line per message (id, body present, recipients' states, due): failure messages. */
export function describeSpool(spoolDir: string, max = 20): string {
  const env = open({ path: spoolDir, readOnly: true, maxDbs: 4, compression: false });
  try {
    const meta = env.openDB<{ recipients?: { address: string; status: string }[]; due?: number }, string>({ name: 'meta', encoding: 'msgpack' });
    const body = env.openDB<Buffer, string>({ name: 'body', encoding: 'binary' });
    const lines: string[] = [];
    for (const { key, value } of meta.getRange()) {
      if (lines.length >= max) break;
      const rcpts = (value.recipients ?? []).map((r) => `${r.address}=${r.status}`).join(',');
      lines.push(`${key} body=${body.doesExist(key)} due=${value.due === undefined ? '-' : new Date(value.due).toISOString()} ${rcpts}`);
    }
    return lines.join('\n');
  } finally {
    void env.close();
  }
}
