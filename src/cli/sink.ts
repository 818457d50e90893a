import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration, parseHostPort } from '../config/values.js';

export function registerSink(program: Command): void {
  program
    .command('sink')
    .description('Run a fast SMTP receiver for tests, labs and benchmarks: accepts everything except local parts ' +
      'tempfail (451), permfail (550), 450-text / 550-text (that reply) and disconnect (drops the connection)')
    .requiredOption('-l, --listen <host:port>', 'address to listen on, e.g. 127.0.0.1:2526 (port 0: any free port)')
    .option('-m, --maildir <dir>', 'store accepted messages in this maildir (tmp -> new)')
    .option('-s, --stats-interval <duration>', 'print the counters this often, e.g. "5s"')
    .option('--json', 'print the listening address and the counters as JSON lines on stdout')
    .option('--starttls', 'offer STARTTLS (with --tls-cert/--tls-key, or a self-signed certificate generated at start; ' +
      'a kumo-ts relaying to it needs enable_tls = "OpportunisticInsecure")')
    .option('--tls-cert <file>', 'PEM certificate for STARTTLS')
    .option('--tls-key <file>', 'PEM private key for STARTTLS')
    .action(async (opts: { listen: string; maildir?: string; statsInterval?: string; json?: boolean; starttls?: boolean; tlsCert?: string; tlsKey?: string }) => {
      const { startSink, formatStats } = await import('../sink/sink.js');
      const listen = parseHostPort(opts.listen);
      const sink = await startSink({
        host: listen.host,
        port: listen.port,
        maildir: opts.maildir,
        starttls: opts.starttls,
        cert: opts.tlsCert ? readFileSync(opts.tlsCert) : undefined,
        key: opts.tlsKey ? readFileSync(opts.tlsKey) : undefined,
      });
      const print = (event: string) => {
        if (opts.json) process.stdout.write(JSON.stringify({ event, at: Date.now(), ...sink.stats }) + '\n');
        else process.stdout.write(formatStats(sink.stats) + '\n');
      };
      if (opts.json) process.stdout.write(JSON.stringify({ event: 'listening', host: sink.host, port: sink.port }) + '\n');
      else process.stdout.write(`sink listening on ${sink.host}:${sink.port}\n`);
      const every = opts.statsInterval ? parseDuration(opts.statsInterval) : 0;
      const timer = every > 0 ? setInterval(() => print('stats'), every) : undefined;
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        clearInterval(timer);
        await sink.close();
        print('stopped');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
