import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DeliveryProtocol } from '../config/queues.js';
import type { SmtpReply } from './response.js';

let counter = 0;
const host = hostname().replace(/[/:]/g, '_');
const made = new Set<string>();

/** A unique maildir file name: time, pid, counter and random bits, then the host. */
export function maildirName(): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++counter}R${randomBytes(4).toString('hex')}.${host}`;
}

/**
 * Delivers one message into a maildir: written and fsynced under tmp/, then renamed into
 * new/ (the rename is the commit; readers never see a partial file). Creates the maildir.
 */
export async function deliverToMaildir(dir: string, data: Buffer | Uint8Array, opts: { dirMode?: number; fileMode?: number; fsync?: boolean } = {}): Promise<string> {
  if (!made.has(dir)) {
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: opts.dirMode ?? 0o775 });
    made.add(dir);
  }
  const name = maildirName();
  const tmp = join(dir, 'tmp', name);
  const fh = await open(tmp, 'wx', opts.fileMode ?? 0o664);
  try {
    await fh.writeFile(data);
    if (opts.fsync !== false) await fh.sync();
  } finally {
    await fh.close();
  }
  const dest = join(dir, 'new', name);
  await rename(tmp, dest);
  return dest;
}

/** Expands {{ name }} placeholders of a maildir path template. */
export function expandPath(template: string, vars: Record<string, string | undefined>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, k: string) => (vars[k] ?? '').replace(/[/\\]|^\.\.?$/g, '_'));
}

/**
 * The maildir protocol of a queue: one file per recipient in the maildir its path template
 * names (`{{ local_part }}`, `{{ domain_part }}`, `{{ email }}` plus the queue's `vars`).
 * A failed write is a transient failure for that recipient.
 */
export async function maildirReplies(
  protocol: Extract<DeliveryProtocol, { kind: 'maildir' }>,
  rcpts: readonly string[],
  body: Buffer,
  vars: Record<string, string | undefined>,
): Promise<Map<string, SmtpReply>> {
  const replies = new Map<string, SmtpReply>();
  for (const rcpt of rcpts) {
    const at = rcpt.lastIndexOf('@');
    const dir = expandPath(protocol.path, { ...vars, local_part: rcpt.slice(0, at), domain_part: rcpt.slice(at + 1).toLowerCase(), email: rcpt });
    try {
      const file = await deliverToMaildir(dir, body, { dirMode: protocol.dirMode, fileMode: protocol.fileMode });
      replies.set(rcpt, { code: 250, enhanced: '2.0.0', text: `delivered to maildir ${file}`, command: 'MAILDIR', internal: true });
    } catch (e) {
      replies.set(rcpt, { code: 451, enhanced: '4.3.0', text: `kumo-ts: maildir ${dir}: ${(e as Error).message}`, command: 'MAILDIR', internal: true });
    }
  }
  return replies;
}
