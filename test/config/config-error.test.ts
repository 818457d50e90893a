// compileOrThrow's ConfigError: every error of a bad config, sorted by file, line and column,
// one `FILE:LINE:COL: message` line each, with the stable code CONFIG_INVALID.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileOrThrow } from '../../src/config/compile.js';
import { ConfigError } from '../../src/config/issues.js';
import { tempTree } from '../helpers/tmp.js';

test('a bad config throws ConfigError carrying every issue, sorted, one line each', async () => {
  const t = tempTree({
    'zone.toml': '',
    // two unknown keys, the later one first in the file order of the message after sorting
    'kumo.toml': '[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n[spool]\nzzz = 1\n[logs]\naaa = 2\n',
  });
  try {
    await assert.rejects(compileOrThrow({ root: t.dir }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.equal(e.name, 'ConfigError');
      const errors = e.issues.filter((i) => i.severity === 'error');
      assert.ok(errors.length >= 2, JSON.stringify(e.issues));
      const lines = e.message.split('\n');
      assert.equal(lines.length, e.issues.length);
      assert.match(e.message, /kumo\.toml:7:\d+: unknown key "zzz" in spool/);
      assert.match(e.message, /kumo\.toml:9:\d+: unknown key "aaa" in logs/);
      for (let i = 1; i < e.issues.length; i++) {
        const [a, b] = [e.issues[i - 1], e.issues[i]];
        assert.ok(a.file < b.file || (a.file === b.file && (a.line < b.line || (a.line === b.line && a.col <= b.col))), `sorted: ${lines.join(' | ')}`);
      }
      return true;
    });
  } finally {
    t.cleanup();
  }
});
