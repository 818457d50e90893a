import { Option } from 'commander';
import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { formatIssue } from '../config/issues.js';
import type { ConfigIssue } from '../config/issues.js';
import { configDir } from './config-dir.js';
import { toGithubAnnotation, toJsonIssues, VALIDATE_FORMATS } from './validate-format.js';
import type { ValidateFormat } from './validate-format.js';

/**
 * `kumo-ts validate`: compiles every file of the config, as `serve` and a reload do, and also
 * loads every DKIM key and listener certificate (as KumoMTA's `--validate` does). Every
 * problem of every file is reported in one run; exit 1 when there is an error.
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check every config file and test-load DKIM keys and certificates; exit 1 on any error (FILE:LINE:COL, one per line)')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .addOption(new Option('-f, --format <format>', 'text (default), json (an array of {file,line,column,severity,code,message}) or github (workflow-command annotations)').choices([...VALIDATE_FORMATS]).default('text'))
    .action(async (opts: { config?: string; format: ValidateFormat }) => {
      const { dir } = configDir(opts.config);
      const res = await compileConfig({ root: dir, testLoad: true });
      const issues: readonly ConfigIssue[] = res.ok ? res.warnings : res.issues;
      const errors = issues.filter((i) => i.severity === 'error').length;
      if (!res.ok) process.exitCode = 1;
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(toJsonIssues(issues), null, 2) + '\n');
        return;
      }
      if (opts.format === 'github') {
        for (const i of issues) process.stdout.write(toGithubAnnotation(i) + '\n');
        process.stderr.write(res.ok ? `ok: ${dir}, ${issues.length} warnings\n` : `${errors} error${errors === 1 ? '' : 's'} in ${dir}\n`);
        return;
      }
      for (const i of issues) process.stderr.write(formatIssue(i) + '\n');
      if (!res.ok) {
        process.stderr.write(`${errors} error${errors === 1 ? '' : 's'} in ${dir}\n`);
        return;
      }
      const s = res.snapshot;
      process.stdout.write(
        `ok: ${s.files.length} files, hash ${s.hash.slice(0, 12)}, ${s.main.listeners.size} listeners, ` +
          `${s.egress.sources.size} sources, ${s.egress.pools.size} pools, ${res.warnings.length} warnings\n`,
      );
    });
}
