/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
import type { Job } from '../queue/job.js';
import type { Peer, SendResult, TlsInfo } from './smtp-client.js';

/**
 * What a ready queue's connection sends on: an SMTP session (smtp-client.ts) or an HTTP one
 * (http-session.ts). `job` lets a protocol read what it needs besides the envelope and body.
 */
export interface DeliverySession {
  readonly id: string;
  readonly peer: Peer;
  readonly tls: TlsInfo | undefined;
  readonly local: { address: string; port: number } | undefined;
  readonly usable: boolean;
  send(from: string, to: readonly string[], body: Buffer, opts?: { smtputf8?: boolean; job?: Job; crlf?: boolean }): Promise<SendResult>;
  quit(): Promise<void>;
  destroy(): void;
}
