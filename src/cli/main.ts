import { Command } from 'commander';
import { registerValidate } from './validate.js';
import { registerServe } from './serve.js';
import { registerReload } from './reload.js';

const program = new Command('kumo-ts')
  .description('A mail transfer agent configured by TOML, JSON or YAML files')
  .version('0.1.0');

registerValidate(program);
registerServe(program);
registerReload(program);
(await import('./sink.js')).registerSink(program);
(await import('./dkim-keygen.js')).registerDkimKeygen(program);
(await import('./explain.js')).registerExplain(program);
(await import('./hash-password.js')).registerHashPassword(program);
(await import('./tail.js')).registerTail(program);
(await import('./queue-commands.js')).registerQueueCommands(program);
(await import('./admin-commands.js')).registerAdminCommands(program);
(await import('./inject-command.js')).registerInject(program);
(await import('./top.js')).registerTop(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`kumo-ts: ${e.message}\n`);
  process.exit(2);
});
