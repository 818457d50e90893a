import { spawn } from 'node:child_process';
import type { Logger } from '../logging/logger.js';
import { AcmeOrderError } from './errors.js';

const HOOK_TIMEOUT_MS = 120_000;

/** What one dns01_hook call says: present or clean up `name` TXT `value` for `domain`. */
export interface Dns01Call {
  readonly action: 'present' | 'cleanup';
  readonly domain: string;
  readonly name: string;
  readonly value: string;
}

/**
 * Runs the dns01_hook: `cmd... present|cleanup <record name> <value>`, the same in the
 * environment (ACME_ACTION, ACME_DOMAIN, ACME_RECORD_NAME, ACME_RECORD_VALUE); killed after two
 * minutes. One call at a time in the process: acme-client answers an order's authorizations
 * concurrently, and a wildcard and its apex share one record name, so concurrent calls would
 * have every hook (a zone file edit, a provider API read-modify-write) lock on its own, as
 * certbot's and lego's callers need not.
 */
export class Dns01Hook {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly log: Logger) {}

  run(cmd: readonly string[], call: Dns01Call): Promise<void> {
    const next = this.tail.then(() => this.spawnOnce(cmd, call));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private spawnOnce(cmd: readonly string[], call: Dns01Call): Promise<void> {
    const env = { ACME_ACTION: call.action, ACME_DOMAIN: call.domain, ACME_RECORD_NAME: call.name, ACME_RECORD_VALUE: call.value };
    return new Promise((resolve, reject) => {
      const child = spawn(cmd[0]!, [...cmd.slice(1), call.action, call.name, call.value], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), HOOK_TIMEOUT_MS);
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (out += b));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new AcmeOrderError(`dns01_hook ${cmd[0]}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new AcmeOrderError(`dns01_hook ${cmd[0]} (${call.action} ${call.name}) ${signal ? `killed (${signal})` : `exited ${code}`}: ${out.trim().slice(0, 500)}`));
      });
      this.log.info('acme: dns01_hook', { action: call.action, record: call.name });
    });
  }
}
