import { compileRegex, responseLine } from '../config/rust-regex.js';

/**
 * Bounce classification as KumoMTA does it (crates/bounce-classify): every rule of every rules
 * file in one ordered list; the reply is turned into one line, "CODE ENHANCED TEXT", and the
 * first rule that matches names the category. Compiled once per config epoch.
 */

/** KumoMTA's predefined categories (others are allowed and kept as written). */
export const PREDEFINED_CLASSES = [
  'InvalidRecipient', 'DNSFailure', 'SpamBlock', 'SpamContent', 'ProhibitedAttachment', 'RelayDenied', 'AutoReply',
  'TransientFailure', 'Subscribe', 'Unsubscribe', 'ChallengeResponse', 'BadConfiguration', 'BadConnection', 'BadDomain',
  'ContentRelated', 'InactiveMailbox', 'InvalidSender', 'MessageExpired', 'NoAnswerFromHost', 'PolicyRelated',
  'ProtocolErrors', 'QuotaIssues', 'RelayingIssues', 'RoutingErrors', 'SpamRelated', 'VirusRelated',
  'AuthenticationFailed', 'TooManyRecipients', 'Uncategorized',
] as const;

export const UNCATEGORIZED = 'Uncategorized';

export interface BounceRule {
  readonly category: string;
  readonly pattern: RegExp;
  /** "file.toml: rules.InvalidRecipient[3]", for explain and errors */
  readonly origin: string;
}

/** The pieces of a reply the classifier reads. */
export interface ClassifiableReply {
  readonly code: number;
  /** "5.1.1" */
  readonly enhanced?: string;
  readonly text: string;
}

/** KumoMTA's Response::to_single_line: "CODE ENHANCED TEXT" with line breaks removed. */
export function singleLine(r: ClassifiableReply): string {
  return responseLine(r.code, r.enhanced, r.text);
}

/**
 * Categories of recent reply lines, per classifier. Many records repeat the same reply (a full
 * ready queue, a receiver's "try again later"): with KumoMTA's rule file that is ~100 regex
 * tests each time (11 % of the CPU while a million released messages waited for room). Kept
 * beside the classifier, not on it: the classifier is part of the frozen config snapshot.
 * Bounded: emptied when it reaches CACHE_MAX lines (replies that name an id never repeat).
 */
const cache = new WeakMap<BounceClassifier, Map<string, string>>();
const CACHE_MAX = 4_096;
const CACHE_LINE_MAX = 512;

export class BounceClassifier {
  constructor(readonly rules: readonly BounceRule[]) {}

  /** The category of a reply line; Uncategorized when no rule matches. */
  classifyLine(line: string): string {
    if (line.length > CACHE_LINE_MAX) return this.match(line);
    let seen = cache.get(this);
    if (!seen) cache.set(this, (seen = new Map()));
    let category = seen.get(line);
    if (category === undefined) {
      category = this.match(line);
      if (seen.size >= CACHE_MAX) seen.clear();
      seen.set(line, category);
    }
    return category;
  }

  private match(line: string): string {
    for (const r of this.rules) if (r.pattern.test(line)) return r.category;
    return UNCATEGORIZED;
  }

  classify(r: ClassifiableReply): string {
    return this.classifyLine(singleLine(r));
  }
}

/** A rule of a rules file as a RegExp (KumoMTA's Rust syntax; src/config/rust-regex.ts). */
export function compileRule(source: string): RegExp {
  return compileRegex(source);
}
