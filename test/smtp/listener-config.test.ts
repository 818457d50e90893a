// Listener settings the schema lets through but the compiler refuses, with the place named.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { compileConfig } from '../../src/config/compile.js';
import { BASE_MAIN, makeCert, tempDir, writeFiles } from './helpers.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

async function compile(listener: string, extra: Record<string, string> = {}) {
  const root = tempDir('kumo-lcfg-');
  roots.push(root);
  writeFiles(root, { 'zone.toml': '', 'kumo.toml': `${BASE_MAIN}\n[listener.in]\nlisten = "127.0.0.1:0"\n${listener}\n`, ...extra });
  return compileConfig({ root });
}

test('max_message_size as a number: a positive integer is taken as bytes; 0 is refused', async () => {
  const ok = await compile('max_message_size = 65536');
  assert.ok(ok.ok);
  assert.equal(ok.snapshot.main.listeners.get('in')!.maxMessageSize, 65536);
  const bad = await compile('max_message_size = 0');
  assert.ok(!bad.ok);
  const i = bad.issues.find((x) => x.code === 'value.size');
  assert.ok(i, JSON.stringify(bad.issues));
  assert.match(i.message, /max_message_size.*invalid size 0: must be a positive number of bytes/);
  assert.equal(i.line, 8);
});

test('an SNI name that is not a host name is refused, naming it; the other names are kept', async () => {
  const c = await makeCert('mx.test');
  const files = { 'a.pem': c.cert, 'a.key': c.key };
  const bad = await compile(`[listener.in.tls]\ncertificate = "a.pem"\nprivate_key = "a.key"\n[listener.in.tls.sni."bad name!"]\ncertificate = "a.pem"\nprivate_key = "a.key"\n`, files);
  assert.ok(!bad.ok);
  const i = bad.issues.find((x) => x.code === 'value.hostname');
  assert.ok(i, JSON.stringify(bad.issues));
  assert.match(i.message, /listener "in" TLS: SNI name "bad name!" is not a host name or "\*\.suffix"/);
  const ok = await compile(`[listener.in.tls]\ncertificate = "a.pem"\nprivate_key = "a.key"\n[listener.in.tls.sni."*.Mail.Test."]\ncertificate = "a.pem"\nprivate_key = "a.key"\n`, files);
  assert.ok(ok.ok, !ok.ok ? JSON.stringify(ok.issues) : '');
  assert.deepEqual([...ok.snapshot.main.listeners.get('in')!.tls!.sni.keys()], ['*.mail.test']);
});
