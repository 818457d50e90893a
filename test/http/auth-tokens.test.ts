// The Bearer-token store of an HTTP listener on its failure paths (in process, real files):
// a bad or empty replacement is refused whole and the tokens in force stay; a tokens file that
// disappears keeps them too; a rotation retires the old token; bad lines are never echoed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TokenStore, generateToken } from '../../src/http/auth-tokens.js';
import { fileKeySource, inlineKeySource } from '../../src/keys/key-source.js';
import { createLogger } from '../../src/logging/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function logged() {
  const lines: { level: string; msg: string }[] = [];
  return { lines, log: createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) }) };
}

test('tokens file: bad, empty and vanished replacements keep the tokens in force; a rotation retires the old token', async () => {
  const path = join(dir, 'tokens.txt');
  const a = generateToken('deploy');
  writeFileSync(path, `# API tokens\n${a.line}\n`);
  const { lines, log } = logged();
  const store = new TokenStore('api', fileKeySource(path), log);
  await store.start();
  after(() => store.close());
  assert.equal(store.verify(a.token), 'deploy');
  assert.equal(store.verify('not-a-token'), undefined);
  assert.equal(store.size, 1);

  // a token pasted in plain instead of its hash: refused as a whole, and not echoed
  const pasted = generateToken('x').token;
  writeFileSync(path, `${generateToken('other').line}\nci:${pasted}\n`);
  await store.reload();
  assert.equal(store.verify(a.token), 'deploy', 'the previous tokens stay');
  assert.ok(lines.some((l) => l.level === 'error' && l.msg.includes(`${path}:2: expected "label:sha256:`)), JSON.stringify(lines));
  assert.ok(lines.some((l) => /new content REJECTED/.test(l.msg)));
  assert.ok(!JSON.stringify(lines).includes(pasted), 'the bad line is never logged');

  // a file with no token at all (e.g. truncated while being written)
  writeFileSync(path, '# nothing yet\n');
  await store.reload();
  assert.equal(store.verify(a.token), 'deploy');

  // the file removed: an error naming the source, the tokens stay
  unlinkSync(path);
  const mark = lines.length;
  await store.reload();
  assert.ok(lines.slice(mark).some((l) => l.level === 'error' && /bearer tokens cannot be loaded/.test(l.msg) && l.msg.includes(path)), JSON.stringify(lines.slice(mark)));
  assert.equal(store.verify(a.token), 'deploy');

  // rotation: the new token works, the old one is refused
  const b = generateToken('deploy-2');
  writeFileSync(path, `${b.line}\n`);
  await store.reload();
  assert.equal(store.verify(b.token), 'deploy-2');
  assert.equal(store.verify(a.token), undefined);
  assert.ok(lines.some((l) => /bearer tokens reloaded/.test(l.msg)));
});

test('a non-file source: loaded at start (good lines kept, a bad one reported); close stops its reload timer', async () => {
  const a = generateToken('inline-user');
  const { lines, log } = logged();
  const store = new TokenStore('api', inlineKeySource(`${a.line}\nnot-a-line\n`, 'inline tokens'), log);
  await store.start();
  assert.equal(store.verify(a.token), 'inline-user');
  assert.equal(store.size, 1);
  assert.ok(lines.some((l) => l.level === 'error' && /inline tokens:2: expected/.test(l.msg)), JSON.stringify(lines));
  store.close(); // the test process would not exit if the interval were left (it is unref'd, close clears it)
});
