import type { Command } from 'commander';
import { configDir } from './config-dir.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the MTA, applying config changes live')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const { dir } = configDir(opts.config);
      const { runServer } = await import('../server.js');
      await runServer({ configDir: dir });
    });
}
