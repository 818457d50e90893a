// `kumo-ts hash-password` typed at a terminal (a real pty, made by python3's pty module): the
// password is read in raw mode without echo, DEL erases a character, Ctrl-C aborts; and
// `--token` prints a token whose SHA-256 is the line for a tokens file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { hashToken } from '../../src/http/auth-tokens.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { needTool } from '../require-tool.js';

// Runs the command on a pty; waits for "Password: ", types `keys`, returns everything the terminal showed.
const PTY_DRIVER = `
import os, pty, sys, select
argv, keys = sys.argv[1:-1], sys.argv[-1].encode('latin-1').decode('unicode_escape').encode('latin-1')
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent = b'', False
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not sent and b'Password: ' in out:
        os.write(fd, keys)
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

function onTty(args: string[], keys: string) {
  const r = spawnSync('/usr/bin/python3', ['-c', PTY_DRIVER, process.execPath, join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'hash-password', ...args, keys], { encoding: 'latin1', timeout: 60_000, env: { ...process.env, TERM: 'dumb' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('at a terminal: prompt, no echo, DEL erases, Enter ends; the hash verifies the edited password', async (t) => {
  if (!needTool(t, 'python3')) return;
  const r = onTty(['--cost', '10', 'dave'], 'hunter2x\\x7f\\r');
  assert.equal(r.code, 0, r.out + r.err);
  assert.ok(!r.out.includes('hunter'), `the password is not echoed: ${JSON.stringify(r.out)}`);
  const m = /dave:(\S+)/.exec(r.out);
  assert.ok(m, r.out);
  assert.ok(await verifyPassword('hunter2', m[1]), 'DEL removed the last character');
  assert.ok(!(await verifyPassword('hunter2x', m[1])));
});

test('at a terminal: Ctrl-C aborts with a non-zero exit and prints no hash', (t) => {
  if (!needTool(t, 'python3')) return;
  const r = onTty(['erin'], 'abc\\x03');
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /interrupted/);
  assert.ok(!/erin:/.test(r.out), r.out);
});

test('--token LABEL: the token on stderr, "LABEL:sha256:<hash of it>" on stdout; without a label it is refused', () => {
  const bin = join(PACKAGE_ROOT, 'bin', 'kumo-ts');
  const r = spawnSync(process.execPath, [bin, 'hash-password', '--token', 'ci-deploy'], { encoding: 'utf8', timeout: 60_000, input: '' });
  assert.equal(r.status, 0, r.stderr);
  const token = /token \(give it to the client; it is not stored\): (\S+)/.exec(r.stderr)?.[1];
  assert.ok(token && token.length >= 43, r.stderr);
  assert.equal(r.stdout, `ci-deploy:sha256:${hashToken(token)}\n`);
  const bare = spawnSync(process.execPath, [bin, 'hash-password', '--token'], { encoding: 'utf8', timeout: 60_000, input: '' });
  assert.notEqual(bare.status, 0);
  assert.equal(bare.stdout, '');
  assert.match(bare.stderr, /--token needs a label/);
});
