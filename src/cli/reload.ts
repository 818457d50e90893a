import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { configDir } from './config-dir.js';

/** `kumo-ts reload`: asks a running server to re-evaluate its config (bump-config-epoch). */
export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('Ask the running server to re-evaluate its config now (POST /api/admin/bump-config-epoch)')
    .option('-c, --config <dir>', 'config root, to find the HTTP address (default ./config or $KUMO_TS_CONFIG)')
    .option('--http <host:port>', 'HTTP API address of the server (default: [http] listen of the config)')
    .action(async (opts: { config?: string; http?: string }) => {
      let addr = opts.http;
      if (!addr) {
        const res = await compileConfig({ root: configDir(opts.config).dir });
        if (!res.ok) throw new Error('cannot read the HTTP address from the config (run kumo-ts validate); pass --http HOST:PORT');
        const l = res.snapshot.main.http.listen;
        addr = l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
      }
      const r = await fetch(`http://${addr}/api/admin/bump-config-epoch`, { method: 'POST' });
      const body = (await r.json()) as { epoch: number; rejected: string[] | null };
      if (!r.ok) throw new Error(`server answered ${r.status}: ${JSON.stringify(body)}`);
      if (body.rejected) {
        for (const e of body.rejected) process.stderr.write(e + '\n');
        process.stderr.write(`config rejected; epoch ${body.epoch} keeps serving\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`epoch ${body.epoch} live\n`);
    });
}
