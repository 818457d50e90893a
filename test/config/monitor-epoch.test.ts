import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigMonitor } from '../../src/config/monitor.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import { tempTree } from '../helpers/tmp.js';

// The builtin shaping file lives outside the config root: the first compile finds it, and a
// later check of unchanged files must not swap in the same config under a new epoch.
test('an unchanged config keeps its epoch when files outside the root were found by the first compile', async () => {
  const tree = tempTree({
    'config/kumo.toml': `[http]\nenabled = false\n[server]\nsmtp = false\n[spool]\npath = "./data/spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`,
    'config/zone.toml': '',
  });
  const store = new ConfigStore();
  const lines: string[] = [];
  const monitor = new ConfigMonitor({ root: join(tree.dir, 'config'), store, log: createLogger({ out: (l) => lines.push(l) }) });
  try {
    await monitor.start();
    assert.equal(store.current.epoch, 1);
    assert.ok(store.current.files.some((f) => !f.startsWith(tree.dir)), 'the builtin shaping file is part of the snapshot');
    // what the poll timer runs
    const check = (monitor as unknown as { runCheck(): Promise<void> }).runCheck.bind(monitor);
    await check();
    await check();
    assert.equal(store.current.epoch, 1, `no new epoch without a change; log: ${lines.join('\n')}`);
    tree.write('config/kumo.toml', `hostname = "changed.example"\n[http]\nenabled = false\n[server]\nsmtp = false\n[spool]\npath = "./data/spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
    await check();
    assert.equal(store.current.epoch, 2, 'a real change still makes the next epoch');
  } finally {
    await monitor.stop();
    tree.cleanup();
  }
});

// A check asked for while one runs is not dropped: it runs once more afterwards, so an edit
// made after the running check read the files still goes live.
test('a check asked for during a running check runs again afterwards: the edit made meanwhile goes live', async () => {
  const main = (host: string) => `hostname = "${host}"\n[http]\nenabled = false\n[server]\nsmtp = false\n[spool]\npath = "./data/spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;
  const tree = tempTree({ 'config/kumo.toml': main('one.example'), 'config/zone.toml': '' });
  const store = new ConfigStore();
  const lines: string[] = [];
  const monitor = new ConfigMonitor({ root: join(tree.dir, 'config'), store, log: createLogger({ out: (l) => lines.push(l) }) });
  try {
    await monitor.start();
    assert.equal(store.current.main.hostname, 'one.example');
    // the first check hashes and reads kumo.toml before its first await: the edit comes after
    const first = monitor.force();
    tree.write('config/kumo.toml', main('two.example'));
    const second = monitor.force();
    await Promise.all([first, second]);
    assert.equal(store.current.main.hostname, 'two.example', `the edit is live once both calls resolved; log: ${lines.join('\n')}`);
    assert.equal(store.current.epoch, 3, 'two checks ran, one after the other');
  } finally {
    await monitor.stop();
    tree.cleanup();
  }
});
