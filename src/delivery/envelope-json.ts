// The JSON form of a message and its envelope, shared by the HTTP and AMQP delivery protocols.
import type { SpoolMeta } from '../spool/types.js';

/** {id, sender, recipients, queue, tenant?, campaign?, content | content_base64 (not UTF-8)}. */
export function envelopeJson(meta: SpoolMeta, queue: string, from: string, to: readonly string[], body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  const utf8 = Buffer.byteLength(text) === body.length && !text.includes('\uFFFD');
  return {
    id: meta.id,
    sender: from,
    recipients: to,
    queue,
    ...(meta.tenant !== undefined ? { tenant: meta.tenant } : {}),
    ...(meta.campaign !== undefined ? { campaign: meta.campaign } : {}),
    ...(utf8 ? { content: text } : { content_base64: body.toString('base64') }),
  };
}
