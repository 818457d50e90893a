import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import type { Snapshot } from '../../src/config/snapshot.js';
import { dkimTxtValue } from '../../src/dkim/dns-record.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';

export interface TestKey {
  privateKey: KeyObject;
  pem: string;
  txt: string;
}

// RSA generation is slow on a busy 2-core box: generate once per process.
let rsaKey: TestKey | undefined;
export function rsaTestKey(): TestKey {
  rsaKey ??= makeKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  return rsaKey;
}

export function ed25519TestKey(): TestKey {
  return makeKey(generateKeyPairSync('ed25519').privateKey);
}

function makeKey(privateKey: KeyObject): TestKey {
  return { privateKey, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), txt: dkimTxtValue(privateKey) };
}

export function tempDir(prefix = 'kumo-dkim-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function write(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

export const MINIMAL_MAIN = `
[listener.smtp]
listen = "127.0.0.1:0"
[spool]
path = "./spool"
[logs]
path = "./logs"
[dns]
mode = "system"
`;

/** Compiles a config root holding a minimal kumo.toml plus `files`; throws with the issues on failure. */
export async function snapshotWith(dir: string, files: Record<string, string>): Promise<Snapshot> {
  write(dir, 'kumo.toml', MINIMAL_MAIN);
  for (const [name, text] of Object.entries(files)) write(dir, name, text);
  const res = await compileConfig({ root: dir, resolver: new StaticResolver({}) });
  if (!res.ok) throw new Error(res.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.code} ${i.message}`).join('\n'));
  return res.snapshot;
}

export function message(from = 'Alice <alice@example.com>', extra = ''): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: bob@example.net\r\nSubject: Hello   there\r\n  folded subject\r\n` +
      `Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n${extra}\r\nHello  world,  \r\n\r\nsecond line\t \r\n\r\n\r\n`,
  );
}
