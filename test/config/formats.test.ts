import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

/**
 * The same config mistakes written in TOML, JSON and YAML must be reported at the exact
 * FILE:LINE:COL of the offending key or value.
 */
const cases: Record<'toml' | 'json' | 'yaml', { valid: string; syntax: [string, string]; unknownKey: [string, string]; wrongType: [string, string] }> = {
  toml: {
    valid: '[listener.smtp]\nlisten = "127.0.0.1:2525"\n\n[spool]\npath = "./data/spool"\n',
    syntax: ['[listener.smtp]\nlisten "127.0.0.1:2525"\n', ':2:8: TOML syntax error'],
    unknownKey: ['[listener.smtp]\nlisten = "127.0.0.1:2525"\nlisten_port = 25\n', ':3:1: unknown key "listen_port" in listener.smtp'],
    wrongType: ['[listener.smtp]\nlisten = "127.0.0.1:2525"\n[spool]\npath = 42\n', ':4:8: spool.path: expected string, got integer'],
  },
  json: {
    valid: '{\n  "listener": { "smtp": { "listen": "127.0.0.1:2525" } },\n  "spool": { "path": "./data/spool" }\n}\n',
    syntax: ['{\n  "listener": { "smtp": { "listen": "127.0.0.1:2525" } },\n}\n', ':3:1: JSON syntax error'],
    unknownKey: ['{\n  "listener": {\n    "smtp": {\n      "listen": "127.0.0.1:2525",\n      "listen_port": 25\n    }\n  }\n}\n', ':5:7: unknown key "listen_port" in listener.smtp'],
    wrongType: ['{\n  "listener": { "smtp": { "listen": "127.0.0.1:2525" } },\n  "spool": {\n    "path": 42\n  }\n}\n', ':4:13: spool.path: expected string, got integer'],
  },
  yaml: {
    valid: 'listener:\n  smtp:\n    listen: "127.0.0.1:2525"\nspool:\n  path: ./data/spool\n',
    syntax: ['listener:\n  smtp:\n    listen: [127.0.0.1:2525\nspool: {}\n', ':4:1: YAML syntax error'],
    unknownKey: ['listener:\n  smtp:\n    listen: "127.0.0.1:2525"\n    listen_port: 25\n', ':4:5: unknown key "listen_port" in listener.smtp'],
    wrongType: ['listener:\n  smtp:\n    listen: "127.0.0.1:2525"\nspool:\n  path: 42\n', ':5:9: spool.path: expected string, got integer'],
  },
};

for (const [fmt, c] of Object.entries(cases)) {
  describe(`${fmt} main file`, () => {
    const trees: { cleanup(): void }[] = [];
    after(() => trees.forEach((t) => t.cleanup()));
    const run = async (text: string) => {
      const t = tempTree({ [`kumo.${fmt}`]: text });
      trees.push(t);
      return { res: await compileConfig({ root: t.dir }), file: `${t.dir}/kumo.${fmt}` };
    };
    const expectOne = async (text: string, where: string) => {
      const { res, file } = await run(text);
      assert.equal(res.ok, false, 'config should be rejected');
      if (res.ok) return;
      const lines = res.issues.map(formatIssue);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(lines[0].startsWith(file + where), `expected ${file}${where}…, got ${lines[0]}`);
    };
    test('valid config compiles', async () => {
      const { res } = await run(c.valid);
      assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
      if (res.ok) assert.equal(res.snapshot.main.listeners.get('smtp')?.listen.port, 2525);
    });
    test('syntax error', () => expectOne(c.syntax[0], c.syntax[1]));
    test('unknown key', () => expectOne(c.unknownKey[0], c.unknownKey[1]));
    test('wrong type', () => expectOne(c.wrongType[0], c.wrongType[1]));
  });
}

test('all errors are reported at once, sorted by line', async () => {
  const t = tempTree({ 'kumo.toml': '[listener.a]\nlisten = "127.0.0.1:99999"\nfoo = 1\n[spool]\npath = 1\n[http]\nlisten = "nowhere"\n' });
  try {
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (res.ok) return;
    const at = res.issues.map((i) => `${i.line}:${i.col}:${i.code}`);
    assert.deepEqual(at, ['2:10:value.host-port', '3:1:schema.unknown-key', '5:8:schema.type', '7:10:value.host-port']);
  } finally {
    t.cleanup();
  }
});

test('missing and ambiguous main files are named', async () => {
  const t = tempTree({ 'other.toml': '' });
  try {
    let res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.issues[0].message, /no main config file/);
    t.write('kumo.toml', '');
    t.write('kumo.yaml', '{}');
    res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.issues[0].message, /more than one main config file/);
  } finally {
    t.cleanup();
  }
});
