import { readFile } from 'node:fs/promises';
import { KeySourceError } from './errors.js';

/** Reads a key file fresh on every call, so a rotated key or renewed certificate is used at once. */
export async function loadFileKey(path: string, describe: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new KeySourceError('key.file', describe, `cannot read the key: ${why}`);
  }
  if (!data.toString('utf8').trim()) throw new KeySourceError('key.empty', describe, 'the key file is empty');
  return data;
}
