import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateDkimKey } from '../dkim/keygen.js';
import type { KeygenAlgo } from '../dkim/keygen.js';
import { configDir } from './config-dir.js';

interface Opts {
  algo: string;
  domain: string;
  selector: string;
  bits: string;
  out?: string;
  config?: string;
  force?: boolean;
}

const NAME_RE = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

export function registerDkimKeygen(program: Command): void {
  program
    .command('dkim-keygen')
    .description('Generate a DKIM private key (PKCS8 PEM, mode 0600) and print its DNS TXT record')
    .requiredOption('--algo <algo>', 'rsa or ed25519')
    .requiredOption('--domain <domain>', 'signing domain (d=)')
    .requiredOption('--selector <selector>', 'selector (s=)')
    .option('--bits <n>', 'RSA key size', '2048')
    .option('--out <file>', 'where to write the key (default <config root>/dkim/<domain>/<selector>.key, where dkim.toml looks by default)')
    .option('-c, --config <dir>', 'config root for the default --out (default ./config or $KUMO_TS_CONFIG)')
    .option('--force', 'overwrite an existing key file')
    .action(async (opts: Opts) => {
      const algo = opts.algo.toLowerCase();
      if (algo !== 'rsa' && algo !== 'ed25519') return fail(`--algo must be rsa or ed25519, not "${opts.algo}"`);
      const domain = opts.domain.toLowerCase().replace(/\.$/, '');
      if (!NAME_RE.test(domain)) return fail(`--domain "${opts.domain}" is not a domain name`);
      if (!NAME_RE.test(opts.selector)) return fail(`--selector "${opts.selector}" is not a valid DNS label`);
      const bits = Number(opts.bits);
      if (algo === 'ed25519' && opts.bits !== '2048') process.stderr.write('kumo-ts: --bits is ignored for ed25519\n');

      let out = opts.out;
      if (!out) {
        const root = configDir(opts.config);
        if (root.builtin) return fail('no config root (./config does not exist): give --out FILE or --config DIR');
        out = join(root.dir, 'dkim', domain, `${opts.selector}.key`);
      }
      out = resolve(out);

      let key;
      try {
        key = await generateDkimKey(algo as KeygenAlgo, domain, opts.selector, bits);
      } catch (e) {
        return fail((e as Error).message);
      }
      try {
        await mkdir(dirname(out), { recursive: true, mode: 0o700 });
        // 'wx' never replaces a key by accident; mode 0600 from creation, so it is never readable by others
        await writeFile(out, key.pem, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
        await chmod(out, 0o600);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return fail(err.code === 'EEXIST' ? `${out} already exists (use --force to replace it)` : `cannot write ${out}: ${err.message}`);
      }
      process.stderr.write(`kumo-ts: wrote ${algo} private key to ${out}\n`);
      process.stdout.write(key.zoneLine + '\n');
    });
}

function fail(message: string): void {
  process.stderr.write(`kumo-ts dkim-keygen: ${message}\n`);
  process.exitCode = 2;
}
