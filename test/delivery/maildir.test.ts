import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maildirReplies } from '../../src/delivery/maildir.js';
import { disposition } from '../../src/delivery/response.js';
import { tempTree } from '../helpers/tmp.js';

test('maildir: a recipient whose maildir cannot be made gets a transient 451 4.3.0 naming it; the others are delivered', async () => {
  // "blocked.test" is a file where the template wants a directory
  const t = tempTree({ 'boxes/blocked.test': 'not a directory' });
  try {
    const body = Buffer.from('Subject: t\r\n\r\nhi\r\n');
    const replies = await maildirReplies({ kind: 'maildir', path: join(t.dir, 'boxes/{{ domain_part }}/{{ local_part }}') }, ['ok@Fine.test', 'box@blocked.test'], body, {});
    const ok = replies.get('ok@Fine.test')!;
    assert.equal(disposition(ok), 'delivered', ok.text);
    const dir = join(t.dir, 'boxes/fine.test/ok/new');
    assert.equal(readdirSync(dir).length, 1);
    assert.deepEqual(readFileSync(join(dir, readdirSync(dir)[0]!)), body);
    const bad = replies.get('box@blocked.test')!;
    assert.equal(bad.code, 451);
    assert.equal(bad.enhanced, '4.3.0');
    assert.equal(disposition(bad), 'transient');
    assert.match(bad.text, new RegExp(`^kumo-ts: maildir ${join(t.dir, 'boxes/blocked.test/box').replace(/[.]/g, '\\.')}: .*(ENOTDIR|EEXIST)`));
    assert.ok(!existsSync(join(t.dir, 'boxes/blocked.test/box')));
  } finally {
    t.cleanup();
  }
});
