import { createHash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Canonicalization, DkimAlgorithm } from './config.js';
import {
  bodyHash, formatSignatureHeaderLine, generateCanonicalizedHeader, getSigningHeaderLines, parseHeaders,
} from './mailauth-internals.js';
import type { ParsedHeader } from './mailauth-internals.js';

/** One DKIM signature to compute, with its key already loaded. */
export interface SignatureRequest {
  /** d= */
  readonly domain: string;
  /** s= */
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly headers: readonly string[];
  readonly headerCanonicalization: Canonicalization;
  readonly bodyCanonicalization: Canonicalization;
  readonly overSign: boolean;
  readonly expirationMs?: number;
  readonly privateKey: KeyObject;
}

export interface SplitMessage {
  readonly header: Buffer;
  readonly body: Buffer;
  readonly parsed: ParsedHeader[];
}

/** A message given as its header (without the blank line) and its body, never concatenated. */
export interface MessageParts {
  readonly header: Buffer;
  readonly body: Buffer;
}

/** The parts of a message that reception holds apart (new header fields + the untouched body). */
export function splitParts(parts: MessageParts): SplitMessage {
  return { header: parts.header, body: parts.body, parsed: parts.header.length ? parseHeaders(parts.header).parsed : [] };
}

/** Splits a message at the first empty line (CRLF or bare LF) and parses its header fields. */
export function splitMessage(message: Buffer): SplitMessage {
  let end = -1;
  let bodyStart = message.length;
  for (let i = 0; i < message.length; i++) {
    if (message[i] !== 0x0a) continue;
    if (message[i + 1] === 0x0a) {
      end = i + 1;
      bodyStart = i + 2;
      break;
    }
    if (message[i + 1] === 0x0d && message[i + 2] === 0x0a) {
      end = i + 1;
      bodyStart = i + 3;
      break;
    }
  }
  // A message that starts with an empty line has no header at all.
  if (message[0] === 0x0a || (message[0] === 0x0d && message[1] === 0x0a)) {
    end = 0;
    bodyStart = message[0] === 0x0a ? 1 : 2;
  }
  const header = end < 0 ? message : message.subarray(0, end);
  const body = end < 0 ? Buffer.alloc(0) : message.subarray(bodyStart);
  return { header, body, parsed: header.length ? parseHeaders(header).parsed : [] };
}

/**
 * Computes the DKIM-Signature header fields for `message`, in the order requested, each
 * CRLF-terminated, ready to be prepended. Each signature covers the message as given (not the
 * other new signatures), so they verify independently. Body hashes are computed once per
 * canonicalization.
 */
export function createSignatures(message: Buffer | SplitMessage, requests: readonly SignatureRequest[], now = new Date()): string {
  const msg = Buffer.isBuffer(message) ? splitMessage(message) : message;
  const bodyHashes = new Map<Canonicalization, string>();
  let out = '';
  for (const req of requests) {
    let bh = bodyHashes.get(req.bodyCanonicalization);
    if (bh === undefined) {
      bh = bodyHash(msg.body, req.bodyCanonicalization);
      bodyHashes.set(req.bodyCanonicalization, bh);
    }
    out += signatureLine(msg.parsed, req, bh, now) + '\r\n';
  }
  return out;
}

function signatureLine(parsed: ParsedHeader[], req: SignatureRequest, bh: string, now: Date): string {
  const want = checkKeyType(req);

  const lines = getSigningHeaderLines(parsed, req.headers.join(':'));
  if (req.overSign) {
    // Name each configured field once more than it occurs: an absent instance signs as empty,
    // so adding such a field later breaks the signature (RFC 6376 §8.15).
    const extra = [...new Map(req.headers.map((h) => [h.toLowerCase(), h])).values()];
    lines.keys = [lines.keys, ...extra].filter(Boolean).join(': ');
  }
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', lines, {
    signingDomain: req.domain,
    selector: req.selector,
    algorithm: req.algorithm,
    canonicalization: `${req.headerCanonicalization}/${req.bodyCanonicalization}`,
    bodyHash: bh,
    signTime: now,
    ...(req.expirationMs !== undefined ? { expires: new Date(now.getTime() + req.expirationMs) } : {}),
  });
  // RFC 8463: Ed25519 signs the SHA-256 hash of the canonicalized header (PureEdDSA over the digest).
  const signature = want === 'rsa'
    ? sign('sha256', canonicalizedHeader, req.privateKey)
    : sign(null, createHash('sha256').update(canonicalizedHeader).digest(), req.privateKey);
  return formatSignatureHeaderLine('DKIM', { ...dkimHeaderOpts, b: signature.toString('base64') }, true);
}

/** Throws DkimKeyTypeError unless the key fits the algorithm; returns the key type. */
export function checkKeyType(req: Pick<SignatureRequest, 'algorithm' | 'privateKey'>): 'rsa' | 'ed25519' {
  const keyType = req.privateKey.asymmetricKeyType;
  const want = req.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
  if (keyType !== want) throw new DkimKeyTypeError(`the key is ${keyType ?? 'not an asymmetric key'}, but ${req.algorithm} needs an ${want} key`);
  return want;
}

/** The loaded key does not fit the block's algorithm. */
export class DkimKeyTypeError extends Error {
  readonly code = 'dkim.key-type';
}
