import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { formatIssue } from '../config/issues.js';
import { configDir } from './config-dir.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check every config file; exit 1 with FILE:LINE:COL errors, one per line')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const { dir } = configDir(opts.config);
      const res = await compileConfig({ root: dir });
      if (!res.ok) {
        for (const i of res.issues) process.stderr.write(formatIssue(i) + '\n');
        const n = res.issues.filter((i) => i.severity === 'error').length;
        process.stderr.write(`${n} error${n === 1 ? '' : 's'} in ${dir}\n`);
        process.exitCode = 1;
        return;
      }
      for (const w of res.warnings) process.stderr.write(formatIssue(w) + '\n');
      const s = res.snapshot;
      process.stdout.write(
        `ok: ${s.files.length} files, hash ${s.hash.slice(0, 12)}, ${s.main.listeners.size} listeners, ` +
          `${s.egress.sources.size} sources, ${s.egress.pools.size} pools, ${res.warnings.length} warnings\n`,
      );
    });
}
