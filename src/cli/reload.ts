import { Option } from 'commander';
import type { Command } from 'commander';
import { apiCommand, clientFrom, printJson, run } from './api-options.js';
import type { ApiOpts } from './api-options.js';

/**
 * `kumo-ts reload`: asks a running server to re-evaluate its config (bump-config-epoch), with
 * the endpoint, credentials and CA options of every API command (an API with auth needs them).
 */
export function registerReload(program: Command): void {
  apiCommand(
    program
      .command('reload')
      .description('Ask the running server to re-evaluate its config now (POST /api/admin/bump-config-epoch)'),
  )
    // the first spelling of the address; --endpoint is the one every API command takes
    .addOption(new Option('--http <host:port>', 'HTTP API address (same as --endpoint http://HOST:PORT)').hideHelp())
    .action(run(async (opts: ApiOpts & { http?: string }) => {
      const client = clientFrom({ ...opts, ...(opts.http && !opts.endpoint ? { endpoint: `http://${opts.http}` } : {}) });
      try {
        const body = await client.call<{ epoch: number; rejected: string[] | null }>('POST', '/api/admin/bump-config-epoch');
        if (opts.json) printJson(body);
        if (body.rejected) {
          if (!opts.json) for (const e of body.rejected) process.stderr.write(e + '\n');
          process.stderr.write(`config rejected; epoch ${body.epoch} keeps serving\n`);
          process.exitCode = 1;
          return;
        }
        if (!opts.json) process.stdout.write(`epoch ${body.epoch} live\n`);
      } finally {
        await client.close();
      }
    }));
}
