import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The node's UUID, KumoMTA's `nodeid`: it names this node in every log record independently of
 * its addresses. Made once and kept in `<dir>/.nodeid` (the spool directory: it lives as long
 * as the node's messages do); `KUMO_NODE_ID` overrides it, as it does for KumoMTA.
 */
const FILE = '.nodeid';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cache = new Map<string, string>();

export class NodeIdError extends Error {
  readonly code = 'NODE_ID';
}

/** The node id kept under `dir` (read once, created on first use; cached for the process). */
export function nodeIdFor(dir: string): string {
  const env = process.env.KUMO_NODE_ID;
  if (env) {
    if (!UUID.test(env)) throw new NodeIdError(`KUMO_NODE_ID is not a UUID: "${env}"`);
    return env.toLowerCase();
  }
  const known = cache.get(dir);
  if (known) return known;
  const id = readOrCreate(dir);
  cache.set(dir, id);
  return id;
}

function readOrCreate(dir: string): string {
  const path = join(dir, FILE);
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (UUID.test(text)) return text.toLowerCase();
  } catch {
    // not there yet
  }
  const id = randomUUID();
  // the spool creates (and locks) its directory before any record is written; without it
  // (a tool, a test harness) the id is this process's only
  if (!existsSync(dir)) return id;
  // written whole under a temp name first (a crash never leaves a torn id), then linked, which
  // fails if the file exists: reception workers making their first records at the same moment
  // all end up with the first one's id instead of each keeping its own
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${id}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const text = readFileSync(path, 'utf8').trim();
      if (UUID.test(text)) return text.toLowerCase();
      renameSync(tmp, path); // a garbage file: replaced
    }
  } catch {
    // an unwritable directory: the id still names this process's records (the spool reports
    // the directory problem itself)
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
  return id;
}
