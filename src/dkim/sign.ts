import type { Snapshot } from '../config/snapshot.js';
import { KeySourceError } from '../keys/key-source.js';
import type { DkimSigningParams } from './config.js';
import { fromHeaderDomain } from './from-domain.js';
import { keySourceFor, loadPrivateKey } from './keys.js';
import { checkKeyType, createSignatures, splitMessage, splitParts } from './signer.js';
import type { MessageParts, SignatureRequest } from './signer.js';

/**
 * What reception does with a message: prepend `headers` (complete, CRLF-terminated
 * DKIM-Signature lines), accept it unsigned, or refuse it for now (reply 451 4.3.0, spool nothing).
 * `skipped` lists signatures left out because their key failed under `on_key_error = "SendUnsigned"`
 * (the caller logs them).
 */
export type DkimOutcome =
  | { action: 'signed'; headers: string; skipped?: string[] }
  | { action: 'unsigned'; skipped?: string[] }
  | { action: 'defer'; reason: string };

interface Job {
  readonly domain: string;
  readonly params: DkimSigningParams;
}

/**
 * Signs `message` (header + body, after the trace headers; one buffer or its two parts) as the snapshot's dkim config says:
 * the From domain's block, then base.additional_signatures in order. A key that cannot be loaded
 * defers the message unless that block says `on_key_error = "SendUnsigned"`. Never throws.
 */
export async function signAtReception(snapshot: Snapshot, message: Buffer | MessageParts, now = new Date()): Promise<DkimOutcome> {
  const cfg = snapshot.dkim;
  if (!cfg?.enabled) return { action: 'unsigned' };
  try {
    // reception passes the parts it holds apart: the body is hashed where it lies, not copied
    const msg = Buffer.isBuffer(message) ? splitMessage(message) : splitParts(message);
    const fromDomain = fromHeaderDomain(msg.parsed);
    const skipped: string[] = [];
    const requests: SignatureRequest[] = [];

    const sign = async (job: Job): Promise<DkimOutcome | boolean> => {
      const { params, domain } = job;
      const spec = keySourceFor(params.key, domain, params.selector);
      try {
        const privateKey = await loadPrivateKey(spec, snapshot.epoch);
        const req: SignatureRequest = { ...params, domain, privateKey };
        checkKeyType(req); // a key of the wrong type counts as a key that cannot be used
        requests.push(req);
        return true;
      } catch (e) {
        const why = e instanceof KeySourceError ? `${e.message} [${e.code}]` : (e as Error).message;
        const what = `DKIM key for d=${domain} s=${params.selector} (${params.where}) cannot be used: ${why}`;
        if (params.onKeyError === 'defer') return { action: 'defer', reason: what };
        skipped.push(what);
        return false;
      }
    };

    let domainSigned = false;
    const block = fromDomain ? cfg.domains.get(fromDomain) : undefined;
    if (block && fromDomain) {
      const r = await sign({ domain: fromDomain, params: block });
      if (typeof r === 'object') return r;
      domainSigned = r;
    }
    for (const sig of cfg.signatures) {
      if (sig.policy === 'OnlyIfMissingDomainBlock' && domainSigned) continue;
      // Without its own domain a signature signs as the From domain: with policy Always, a second
      // signature for domains that have a block (e.g. Ed25519 next to RSA), never for any other
      // domain (that would need a key for every domain); with OnlyIfMissingDomainBlock, the fallback.
      if (!sig.domain && sig.policy === 'Always' && !block) continue;
      const domain = sig.domain ?? fromDomain;
      if (!domain) continue; // no From domain to sign for
      const r = await sign({ domain, params: sig });
      if (typeof r === 'object') return r;
    }
    const extra = skipped.length ? { skipped } : {};
    if (!requests.length) return { action: 'unsigned', ...extra };
    return { action: 'signed', headers: createSignatures(msg, requests, now), ...extra };
    /* c8 ignore start -- the never-throws guard: key errors are handled above; parsing and signing threw on no input we found */
  } catch (e) {
    return { action: 'defer', reason: `DKIM signing failed: ${(e as Error).message}` };
  }
  /* c8 ignore stop */
}
