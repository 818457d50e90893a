// Typed access to the pieces of mailauth's DKIM signer that we compose ourselves: its public
// dkimSign() has one header list and expiry for all signatures and cannot over-sign, while
// kumo-ts needs those per signature. The canonicalization and formatting stay mailauth's.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface ParsedHeader {
  /** lower-cased field name */
  key: string | null;
  casedKey: string | undefined;
  /** the raw header line(s), without the final CRLF */
  line: Buffer;
}

export interface SigningHeaderLines {
  /** h= value: field names joined with ': ' */
  keys: string;
  headers: ParsedHeader[];
}

export interface CanonicalizeOptions {
  signingDomain: string;
  selector: string;
  algorithm: string;
  /** "header/body" */
  canonicalization: string;
  bodyHash: string;
  signTime: Date;
  expires?: Date;
}

export type DkimTagValues = Record<string, string | number>;

interface Tools {
  parseHeaders(buf: Buffer): { parsed: ParsedHeader[]; original: Buffer };
  getSigningHeaderLines(parsed: ParsedHeader[], fieldNames: string, verify?: boolean): SigningHeaderLines;
  formatSignatureHeaderLine(type: 'DKIM', values: DkimTagValues, folded: boolean): string;
}

interface BodyHasher {
  update(chunk: Buffer): void;
  digest(encoding: 'base64'): string;
}

const tools = require('mailauth/lib/tools') as Tools;
const header = require('mailauth/lib/dkim/header') as {
  generateCanonicalizedHeader(type: 'DKIM', lines: SigningHeaderLines, o: CanonicalizeOptions): { canonicalizedHeader: Buffer; dkimHeaderOpts: DkimTagValues };
};
const body = require('mailauth/lib/dkim/body') as {
  dkimBody(canonicalization: string, hashAlgo: string, maxBodyLength: number | false): BodyHasher;
};

export const parseHeaders = tools.parseHeaders;
export const getSigningHeaderLines = tools.getSigningHeaderLines;
export const formatSignatureHeaderLine = tools.formatSignatureHeaderLine;
export const generateCanonicalizedHeader = header.generateCanonicalizedHeader;

/** base64 body hash (bh=) of `bodyBuf` under `canonicalization` ("relaxed" | "simple"). */
export function bodyHash(bodyBuf: Buffer, canonicalization: string): string {
  const h = body.dkimBody(canonicalization, 'sha256', false);
  h.update(bodyBuf);
  return h.digest('base64');
}
