import { readFile, stat } from 'node:fs/promises';
import { KeySourceError } from './errors.js';

// File contents by path, re-validated by a stat on every call: a rotated key or renewed
// certificate is used at once, while a busy signer does one stat instead of open+read+close
// per message. Bounded, oldest out first.
const cache = new Map<string, { ino: number; size: number; mtimeMs: number; data: Buffer }>();
const MAX_CACHED = 1000;

/** Reads a key file, fresh whenever it changed on disk (inode, size or mtime). */
export async function loadFileKey(path: string, describe: string): Promise<Buffer> {
  let data: Buffer;
  try {
    const st = await stat(path);
    const hit = cache.get(path);
    if (hit && hit.ino === st.ino && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.data;
    data = await readFile(path);
    if (cache.size >= MAX_CACHED && !cache.has(path)) cache.delete(cache.keys().next().value!);
    cache.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, data });
  } catch (e) {
    cache.delete(path);
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new KeySourceError('key.file', describe, `cannot read the key: ${why}`);
  }
  if (!data.toString('utf8').trim()) throw new KeySourceError('key.empty', describe, 'the key file is empty');
  return data;
}
