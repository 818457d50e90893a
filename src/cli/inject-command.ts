// `kumo-ts inject`: POST /api/inject/v1 from a JSON file in KumoMTA's body format, or from a
// message file plus --sender and --to.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiRefusedError, UsageError } from './api-client.js';
import type { InjectV1Request } from './api-types.js';
import { apiCommand, clientFrom, printJson, run } from './api-options.js';
import type { ApiOpts } from './api-options.js';

interface InjectOpts extends ApiOpts {
  message?: string;
  sender?: string;
  to?: string[];
  deferredSpool?: boolean;
}

function readText(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** The request body from the command line (usage errors name what is wrong). */
export function injectBody(file: string | undefined, o: InjectOpts): InjectV1Request {
  if (file !== undefined) {
    if (o.message || o.sender || o.to?.length) throw new UsageError('give either a JSON FILE or --message/--sender/--to, not both');
    let body: unknown;
    try {
      body = JSON.parse(readText(file, 'inject request'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${file}: not JSON: ${(e as Error).message}`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${file}: expected a JSON object (KumoMTA's inject v1 body)`);
    // the server validates the fields and names the bad one
    return body as InjectV1Request;
  }
  if (!o.message) throw new UsageError('give a JSON FILE in inject v1 format, or --message FILE --sender ADDR --to ADDR');
  if (!o.sender) throw new UsageError('--message needs --sender ADDR (the envelope sender)');
  if (!o.to?.length) throw new UsageError('--message needs at least one --to ADDR');
  const body: InjectV1Request = {
    envelope_sender: o.sender,
    recipients: o.to.map((email) => ({ email })),
    content: readText(o.message, 'message').replace(/\r?\n/g, '\r\n'),
  };
  if (o.deferredSpool) body.deferred_spool = true;
  return body;
}

export function registerInject(program: Command): void {
  apiCommand(program
    .command('inject')
    .argument('[file]', 'JSON file with an inject v1 request body (KumoMTA format; - for stdin)')
    .description('Inject mail over HTTP (POST /api/inject/v1); exit 1 when any recipient failed')
    .option('--message <file>', 'RFC 5322 message file to send as is (- for stdin)')
    .option('--sender <addr>', 'envelope sender (with --message)')
    .option('--to <addr>', 'recipient (repeatable; with --message)', (v: string, p: string[] = []) => [...p, v])
    .option('--deferred-spool', 'ask for deferred spooling (with --message)'))
    .action(run(async (file: string | undefined, o: InjectOpts) => {
      const body = injectBody(file, o);
      const client = clientFrom(o);
      const res = await client.inject(body);
      if (o.json) printJson(res);
      else {
        process.stdout.write(`injected ${res.success_count}, failed ${res.fail_count}\n`);
        for (const r of res.failed_recipients ?? []) process.stdout.write(`failed: ${r}\n`);
        for (const e of res.errors ?? []) process.stdout.write(`error: ${e}\n`);
      }
      if (res.fail_count > 0) {
        const err = new ApiRefusedError(`POST ${client.endpoint}/api/inject/v1: ${res.fail_count} recipient(s) failed${res.errors?.length ? `: ${res.errors[0]}` : ''}`, 200, res);
        throw err;
      }
    }));
}
