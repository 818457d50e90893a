import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

/** [acme] in the main file: an HTTP listener (as an SMTP one) may name an ACME certificate, a declared one. */
const main = (http: string, acme = '[acme.cert.mx]\nnames = ["mx.example.test"]\n') => `
[server]
smtp = false
[dns]
mode = "static"
zone_file = "zone.toml"
${http}
[acme]
http01_listen = "127.0.0.1:8080"
${acme}`;

async function compile(text: string) {
  const t = tempTree({ 'kumo.toml': text, 'zone.toml': '' });
  try {
    return await compileConfig({ root: t.dir });
  } finally {
    t.cleanup();
  }
}

test('an HTTP listener\'s TLS names an ACME certificate: the file kumo-ts keeps it in', async () => {
  const r = await compile(main('[http.listener.secure]\nlisten = "127.0.0.1:8443"\ntls = { certificate = { acme = "mx" } }\n'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues.map(formatIssue)));
  const tls = r.snapshot.main.http.listeners.get('secure')!.tls!;
  assert.equal(tls.default.certificate.kind, 'file');
  assert.equal((tls.default.certificate as { acme?: string }).acme, 'mx');
  assert.equal((tls.default.certificate as { path: string }).path, r.snapshot.main.acme!.certs.get('mx')!.file.path);
});

test('an undeclared ACME certificate on an HTTP listener is ref.unknown-acme-cert, at its position', async () => {
  const r = await compile(main('[http]\ntls = { certificate = { acme = "nope" } }\n'));
  assert.ok(!r.ok);
  const issue = r.issues.find((i) => i.code === 'ref.unknown-acme-cert');
  assert.ok(issue, r.issues.map(formatIssue).join('\n'));
  assert.match(formatIssue(issue), /http: ACME certificate "nope" is not declared/);
  assert.match(formatIssue(issue), /kumo\.toml:\d+/);
});

test('an ACME certificate holds its own key: private_key beside it is an error', async () => {
  const r = await compile(main('[http]\ntls = { certificate = { acme = "mx" }, private_key = "key.pem" }\n'));
  assert.ok(!r.ok);
  assert.ok(r.issues.some((i) => /an ACME certificate holds its own key/.test(i.message)), r.issues.map(formatIssue).join('\n'));
});
