import type { Command } from 'commander';
import { configDir } from './config-dir.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the MTA, applying config changes live')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const { dir, builtin } = configDir(opts.config);
      if (builtin)
        process.stderr.write(`kumo-ts: no ./config in ${process.cwd()} and no --config or KUMO_TS_CONFIG: running on the example config ` +
          `shipped with kumo-ts (${dir}); its spool, logs and generated certificate go under ${process.cwd()}/data\n`);
      // spool, log records and generated keys are private to the service user (0700 / 0600)
      process.umask(process.umask(0o077) | 0o077);
      (await import('../process-guard.js')).installProcessGuard();
      const { runServer } = await import('../server.js');
      try {
        await runServer({ configDir: dir });
      } catch (e) {
        // a start failure (spool locked, a listener cannot bind): say why, exit non-zero
        if ((e as { code?: string }).code !== 'STARTUP_FAILED') throw e;
        process.stderr.write(`kumo-ts: cannot start: ${(e as Error).message}\n`);
        process.exit(1);
      }
    });
}
