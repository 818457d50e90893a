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
