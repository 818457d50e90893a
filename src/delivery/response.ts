import type { LogResponse } from '../logging/types.js';

/** An SMTP reply (or one kumo-ts made up for a local failure), per recipient. */
export interface SmtpReply {
  readonly code: number;
  /** "5.1.1" */
  readonly enhanced?: string;
  readonly text: string;
  /** the command it answered (MAIL FROM, RCPT TO, DATA, CONN...) */
  readonly command?: string;
  /** true for replies kumo-ts made up itself (connection failures, DNS...) */
  readonly internal?: boolean;
}

export type Disposition = 'delivered' | 'transient' | 'permanent';

export function disposition(r: SmtpReply): Disposition {
  if (r.code >= 200 && r.code < 300) return 'delivered';
  if (r.code >= 500 && r.code < 600) return 'permanent';
  return 'transient';
}

/**
 * Parses a raw server reply ("550 5.1.1 no such user", possibly multi-line "250-a\n250 b")
 * into code, enhanced code and text (continuation lines joined with spaces).
 */
export function parseReply(raw: string, command?: string): SmtpReply {
  const lines = raw.split(/\r?\n/).filter((l) => l.length);
  const first = /^(\d{3})[ -]?/.exec(lines[0] ?? '');
  const code = first ? Number(first[1]) : 0;
  const texts = lines.map((l) => l.replace(/^\d{3}[ -]?/, ''));
  let enhanced: string | undefined;
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})\b\s*/.exec(texts[0] ?? '');
  if (m) {
    enhanced = `${m[1]}.${m[2]}.${m[3]}`;
    for (let i = 0; i < texts.length; i++) texts[i] = texts[i].replace(/^[245]\.\d{1,3}\.\d{1,3}\b\s*/, '');
  }
  return { code, enhanced, text: texts.join(' ').trim(), command };
}

export function toLogResponse(r: SmtpReply): LogResponse {
  const e = r.enhanced?.split('.').map(Number);
  return {
    code: r.code,
    enhanced_code: e && e.length === 3 ? { class: e[0], subject: e[1], detail: e[2] } : null,
    content: r.text,
    command: r.command ?? null,
  };
}

export function formatReply(r: SmtpReply): string {
  return `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.text}`;
}

// First match wins: enhanced status codes (RFC 3463 / IANA registry), then wording.
const RULES: [RegExp, string][] = [
  [/^\d{3} [45]\.1\.(1|3|6)\b/, 'InvalidRecipient'],
  [/^\d{3} [45]\.1\.(2|10)\b/, 'BadDomain'],
  [/^\d{3} [45]\.1\.[78]\b/, 'InvalidSender'],
  [/^\d{3} [45]\.2\.2\b/, 'QuotaIssues'],
  [/^\d{3} [45]\.2\.1\b/, 'InactiveMailbox'],
  [/^\d{3} [45]\.7\.13\b/, 'InactiveMailbox'],
  [/^\d{3} [45]\.7\.17\b/, 'InvalidRecipient'],
  [/^\d{3} [45]\.7\.18\b/, 'BadDomain'],
  [/^\d{3} [45]\.4\.7\b/, 'MessageExpired'],
  [/^\d{3} [45]\.4\.[1-4]\b/, 'RoutingErrors'],
  [/^\d{3} [45]\.3\.4\b/, 'ContentRelated'],
  [/^\d{3} [45]\.7\.(1|26|27|25|23|24)\b.*\b(spam|blocked|blacklist|blocklist|rbl|reputation)/i, 'SpamBlock'],
  [/^\d{3} [45]\.7\.(7|8|9|14|20|21|22|23|24|25|26|27)\b/, 'AuthenticationFailed'],
  [/^\d{3} [45]\.7\.1\b.*\brelay/i, 'RelayDenied'],
  [/^\d{3} [45]\.7\.\d+\b/, 'PolicyRelated'],
  [/^\d{3} [45]\.5\.\d+\b/, 'ProtocolErrors'],
  [/(user|recipient|mailbox|address)\b.*\b(unknown|not found|does not exist|invalid|no such)|no such (user|mailbox|recipient)/i, 'InvalidRecipient'],
  [/(mailbox|inbox)\b.*\b(full|over quota)|quota exceeded/i, 'QuotaIssues'],
  [/virus/i, 'VirusRelated'],
  [/spam/i, 'SpamRelated'],
  [/relay(ing)? (access )?denied|not permitted to relay/i, 'RelayDenied'],
  [/\b(timed out|timeout|connection (refused|reset|closed)|no answer)\b/i, 'NoAnswerFromHost'],
];

/** KumoMTA-style bounce classification of a reply (`Uncategorized` when nothing matches). */
export function classifyBounce(r: SmtpReply): string {
  const line = formatReply(r);
  for (const [re, cls] of RULES) if (re.test(line)) return cls;
  return 'Uncategorized';
}
