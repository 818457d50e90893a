import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileConfig, compileOrThrow } from '../../src/config/compile.js';
import { builtinClassifier } from '../../src/bounce/builtin.js';
import { compileRule } from '../../src/bounce/classifier.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import { logRecord, logResponse } from '../../src/logging/record-fields.js';
import { tempTree } from '../helpers/tmp.js';
import { REAL_REPLIES } from './replies.js';

const FIXTURES = resolve('test/fixtures/kumomta-bounce');
const MAIN = `[listener.smtp]\nlisten = "127.0.0.1:0"\n[spool]\npath = "spool"\n[logs]\npath = "logs"\n[http]\nenabled = false\n`;

/**
 * Expected categories per reply in REAL_REPLIES: with KumoMTA's iana.toml alone, with its
 * community bounces.toml before iana.toml (the order KumoMTA's docs give), and with kumo-ts's
 * built-in rules. The KumoMTA columns are what KumoMTA's RegexSet (first rule in file order)
 * gives for these lines.
 */
const EXPECTED: [iana: string, community: string, builtin: string][] = [
  ['InvalidRecipient', 'InvalidRecipient', 'InvalidRecipient'],
  ['Uncategorized', 'QuotaIssues', 'QuotaIssues'],
  ['InactiveMailbox', 'InactiveMailbox', 'InactiveMailbox'],
  ['QuotaIssues', 'QuotaIssues', 'QuotaIssues'],
  ['Uncategorized', 'Uncategorized', 'SpamBlock'],
  ['AuthenticationFailed', 'SpamBlock', 'SpamContent'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'AuthenticationFailed'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'AuthenticationFailed'],
  ['Uncategorized', 'Uncategorized', 'TransientFailure'],
  ['ProtocolErrors', 'ProtocolErrors', 'TooManyRecipients'],
  ['ProtocolErrors', 'InvalidRecipient', 'InvalidRecipient'],
  ['AuthenticationFailed', 'SpamBlock', 'SpamBlock'],
  ['Uncategorized', 'Uncategorized', 'TransientFailure'],
  ['Uncategorized', 'Uncategorized', 'InvalidRecipient'],
  ['Uncategorized', 'Uncategorized', 'SpamBlock'],
  ['BadDomain', 'BadDomain', 'InvalidRecipient'],
  ['Uncategorized', 'Uncategorized', 'PolicyRelated'],
  ['Uncategorized', 'Uncategorized', 'SpamBlock'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'AuthenticationFailed'],
  ['Uncategorized', 'InvalidRecipient', 'InvalidRecipient'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'SpamBlock'],
  ['Uncategorized', 'Uncategorized', 'InvalidRecipient'],
  ['InvalidRecipient', 'InvalidRecipient', 'InvalidRecipient'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'PolicyRelated'],
  ['QuotaIssues', 'QuotaIssues', 'QuotaIssues'],
  ['InvalidRecipient', 'InvalidRecipient', 'InvalidRecipient'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'RelayDenied'],
  ['Uncategorized', 'Uncategorized', 'InvalidSender'],
  ['AuthenticationFailed', 'AuthenticationFailed', 'SpamBlock'],
  ['Uncategorized', 'Uncategorized', 'BadDomain'],
  ['Uncategorized', 'RoutingErrors', 'RoutingErrors'],
  ['BadConnection', 'BadConnection', 'BadConnection'],
  ['NoAnswerFromHost', 'NoAnswerFromHost', 'NoAnswerFromHost'],
  ['QuotaIssues', 'QuotaIssues', 'QuotaIssues'],
  ['MessageExpired', 'MessageExpired', 'MessageExpired'],
  ['Uncategorized', 'InvalidRecipient', 'InvalidRecipient'],
  ['Uncategorized', 'PolicyRelated', 'PolicyRelated'],
];

async function configWith(files: string[], extra: Record<string, string> = {}) {
  const dir = tempTree({ 'kumo.toml': `${MAIN}[files]\nbounce_classifier = ${JSON.stringify(files)}\n`, ...extra }).dir;
  return compileOrThrow({ root: dir });
}

describe('bounce classification', () => {
  test('the reply table covers the providers and has one expectation per reply', () => {
    assert.ok(REAL_REPLIES.length >= 30);
    assert.equal(EXPECTED.length, REAL_REPLIES.length);
    for (const who of ['Gmail', 'Microsoft', 'Yahoo', 'Apple', 'generic']) assert.ok(REAL_REPLIES.some((r) => r.who === who), who);
  });

  test("KumoMTA's iana.toml, loaded unchanged through files.bounce_classifier", async () => {
    const snap = await configWith([join(FIXTURES, 'iana.toml')]);
    assert.ok(snap.bounce.rules.length > 20);
    assert.deepEqual(REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line)), EXPECTED.map((e) => e[0]));
  });

  test("KumoMTA's community bounces.toml, then iana.toml", async () => {
    const snap = await configWith([join(FIXTURES, 'bounces.toml'), join(FIXTURES, 'iana.toml')]);
    assert.deepEqual(REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line)), EXPECTED.map((e) => e[1]));
  });

  test('the built-in rules, the default without any files entry', async () => {
    const snap = await compileOrThrow({ root: tempTree({ 'kumo.toml': MAIN }).dir });
    assert.deepEqual(REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line)), EXPECTED.map((e) => e[2]));
    assert.deepEqual(snap.bounce.rules.map((r) => r.origin), builtinClassifier().rules.map((r) => r.origin));
    // the built-in rules leave nothing in the table uncategorized
    assert.deepEqual(EXPECTED.filter((e) => e[2] === 'Uncategorized'), []);
  });

  test("the operator's bounce_classifier.toml comes before the built-in rules; \"builtin\" names them in a list", async () => {
    const own = `[rules]\nMineFirst = ["^550 5\\\\.1\\\\.1 "]\n`;
    const snap = await compileOrThrow({ root: tempTree({ 'kumo.toml': MAIN, 'bounce_classifier.toml': own }).dir });
    assert.equal(snap.bounce.classifyLine('550 5.1.1 no such user'), 'MineFirst');
    assert.equal(snap.bounce.classifyLine('552 5.2.2 mailbox full'), 'QuotaIssues');
    const listed = await configWith(['builtin', 'mine.toml'], { 'mine.toml': own });
    assert.equal(listed.bounce.classifyLine('550 5.1.1 no such user'), 'InvalidRecipient');
    assert.equal(listed.bounce.classifyLine('299 odd'), 'Uncategorized');
  });

  test('repeated lines give the same category from the frozen snapshot, also past the cache bound; each classifier has its own', async () => {
    const snap = await configWith([join(FIXTURES, 'iana.toml')]);
    const builtin = await compileOrThrow({ root: tempTree({ 'kumo.toml': MAIN }).dir });
    const first = REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line));
    // enough distinct lines to empty the bounded cache (4,096) more than once in between
    for (let i = 0; i < 10_000; i++) snap.bounce.classifyLine(`451 4.3.0 queued as ${i}`);
    assert.deepEqual(REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line)), first);
    assert.deepEqual(REAL_REPLIES.map((r) => snap.bounce.classifyLine(r.line)), EXPECTED.map((e) => e[0]));
    // the same lines through another epoch's rules: not the first classifier's answers
    assert.deepEqual(REAL_REPLIES.map((r) => builtin.bounce.classifyLine(r.line)), EXPECTED.map((e) => e[2]));
    assert.ok(Object.isFrozen(snap.bounce), 'the classifier stays frozen');
  });

  test('a rule that does not compile, an unknown key, a missing file: errors naming file and place', async () => {
    const bad = tempTree({ 'kumo.toml': `${MAIN}[files]\nbounce_classifier = ["bad.toml", "gone.toml"]\n`, 'bad.toml': '[rules]\nX = ["ok", "(unclosed"]\n[other]\n' }).dir;
    const res = await compileConfig({ root: bad });
    assert.equal(res.ok, false);
    const msgs = !res.ok ? res.issues.map((i) => `${i.file}:${i.line} ${i.code} ${i.message}`) : [];
    assert.ok(msgs.some((m) => /bad\.toml:1 schema.unknown-key .*other/.test(m) || /bad\.toml:\d+ schema.unknown-key/.test(m)), msgs.join('\n'));
    assert.ok(msgs.some((m) => /gone\.toml does not exist/.test(m)), msgs.join('\n'));
    const onlyRegex = tempTree({ 'kumo.toml': `${MAIN}[files]\nbounce_classifier = ["bad.toml"]\n`, 'bad.toml': '[rules]\nX = ["ok", "(unclosed"]\n' }).dir;
    const res2 = await compileConfig({ root: onlyRegex });
    assert.equal(res2.ok, false);
    const issue = !res2.ok ? res2.issues.find((i) => i.code === 'value.bounce-rule') : undefined;
    assert.ok(issue, 'a value.bounce-rule error');
    assert.equal(issue.line, 2);
    assert.match(issue.message, /unclosed|Unterminated group/i);
  });

  test('Rust regex syntax that JavaScript spells differently is translated', () => {
    assert.ok(compileRule('(?i)^550 .*USER UNKNOWN').test('550 5.1.1 user unknown'));
    assert.ok(compileRule('\\A550').test('550 x'));
    assert.throws(() => compileRule('^5(?i:abc)'), /only supported at the start/);
    assert.throws(() => compileRule('(?x)a b'), /x flag/);
  });

  test("the record writer classifies every classifiable record with the epoch's rules", async () => {
    const dir = tempTree({ 'kumo.toml': MAIN, 'bounce_classifier.toml': '[rules]\nLocalRule = ["^550 5\\\\.1\\\\.1 "]\n' }).dir;
    const snap = await compileOrThrow({ root: dir });
    const logs = join(dir, 'out');
    const w = new RecordWriter({ settings: () => ({ path: logs, maxFileSize: 1 << 20, maxFileAgeMs: 3_600_000, compress: false }), classifier: () => snap.bounce, flushIntervalMs: 1 });
    const base = { id: 'x', sender: 's@a', recipient: 'r@b', queue: 'b', site: '', size: 1, peer: null, at: Date.now(), created: Date.now(), attempts: 1, nodeid: 'n' };
    const bounce = logRecord({ ...base, type: 'Bounce', response: logResponse(550, '5.1.1 no such user', 'RCPT TO') });
    const transient = logRecord({ ...base, type: 'TransientFailure', response: logResponse(452, '4.2.2 mailbox full', 'RCPT TO') });
    const delivery = logRecord({ ...base, type: 'Delivery', response: logResponse(550, '5.1.1 no such user', '.') });
    await w.writeDurable(bounce);
    await w.writeDurable(transient);
    await w.writeDurable(delivery);
    await w.close();
    assert.deepEqual([bounce, transient, delivery].map((r) => r.bounce_classification), ['LocalRule', 'QuotaIssues', 'Uncategorized']);
    assert.ok(existsSync(logs));
  });
});

// keep the fixture folder's README honest: both files it lists are here
test('the KumoMTA fixture files are present', () => {
  for (const f of ['iana.toml', 'bounces.toml', 'README.md']) assert.ok(existsSync(join(FIXTURES, f)), f);
});
