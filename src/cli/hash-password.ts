import type { Command } from 'commander';
import { hashPassword } from '../auth/password-hash.js';
import { generateToken } from '../http/auth-tokens.js';

/** Reads one line from stdin (the password), without echo when stdin is a terminal. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  // echo off before the prompt shows: what is typed once it is visible is never echoed
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let pw = '';
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.removeListener('data', onData);
          process.stderr.write('\n');
          return resolve(pw);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          return reject(new Error('interrupted'));
        }
        if (ch === '\u007f') pw = pw.slice(0, -1);
        else pw += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

export function registerHashPassword(program: Command): void {
  program
    .command('hash-password')
    .description('Hash a password for a listener\'s AUTH credentials file (reads it from stdin); prints "user:hash" when a user is given')
    .argument('[user]', 'user name to print in front of the hash')
    .option('--bcrypt', 'bcrypt instead of scrypt')
    .option('--cost <n>', 'scrypt: log2 N (default 15); bcrypt: rounds (default 12)')
    .option('--token', 'make an HTTP API Bearer token instead: prints the token on stderr and the "label:sha256:<hex>" line for [http] auth.tokens on stdout (the label is the user argument)')
    .action(async (user: string | undefined, opts: { bcrypt?: boolean; cost?: string; token?: boolean }) => {
      if (user !== undefined && /[:\s]/.test(user)) throw new Error('a user name cannot contain ":" or white space');
      if (opts.token) {
        if (!user) throw new Error('--token needs a label (the user argument), e.g. kumo-ts hash-password --token ci-deploy');
        const { token, line } = generateToken(user);
        process.stderr.write(`token (give it to the client; it is not stored): ${token}\n`);
        process.stdout.write(`${line}\n`);
        return;
      }
      const pw = await readPassword('Password: ');
      if (!pw) throw new Error('empty password');
      const hash = await hashPassword(pw, { kind: opts.bcrypt ? 'bcrypt' : 'scrypt', cost: opts.cost !== undefined ? Number(opts.cost) : undefined });
      process.stdout.write(`${user !== undefined ? `${user}:` : ''}${hash}\n`);
    });
}
