import { decodeBody, first, mediaType, parseFields, reportAddress, splitEntity, utf8 } from './mime-parts.js';
import type { Part } from './mime-parts.js';

/**
 * An ARF feedback report (RFC 5965) in KumoMTA's `feedback_report` shape (kumo-log-types
 * rfc5965::ARFReport): the same field names and JSON types, fields RFC 5965 does not define
 * under `extensions`, the returned original message or headers as text with LF line ends, and
 * the decoded supplemental trace header (`supplemental_trace`) when the original carries one.
 */
export interface ArfReport {
  [key: string]: unknown;
  feedback_type: string;
  user_agent: string;
  version: string;
  arrival_date: string | null;
  incidents: number | null;
  original_envelope_id: string | null;
  original_mail_from: string | null;
  reporting_mta: { mta_type: string; name: string } | null;
  source_ip: string | null;
  authentication_results: string[];
  original_rcpto_to: string[];
  reported_domain: string[];
  reported_uri: string[];
  extensions: Record<string, string[]>;
  original_message: string | null;
  supplemental_trace: Record<string, unknown> | null;
}

const KNOWN = new Set([
  'feedback-type', 'user-agent', 'version', 'arrival-date', 'received-date', 'incidents', 'original-envelope-id',
  'original-mail-from', 'reporting-mta', 'source-ip', 'authentication-results', 'original-rcpt-to', 'reported-domain', 'reported-uri',
]);

/** KumoMTA's supplemental trace marker, and the one kumo-ts's own trace header uses. */
const MARKERS = new Set(['\\_/', '\\_o<  \\_o<  \\_o<']);

function supplementalTrace(headers: Map<string, string[]>): Record<string, unknown> | null {
  for (const [name, values] of headers) {
    if (!name.startsWith('x-')) continue;
    for (const v of values) {
      try {
        const o = JSON.parse(Buffer.from(v.replace(/\s+/g, ''), 'base64').toString('utf8')) as Record<string, unknown>;
        if (o && typeof o === 'object' && MARKERS.has(o['_@_'] as string)) {
          const { ['_@_']: _marker, ...payload } = o;
          return payload;
        }
      } catch {
        // not a trace header
      }
    }
  }
  return null;
}

function rfc3339(value: string | undefined): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s*\([^()]*\)\s*$/, ''));
  return Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : null;
}

/**
 * The feedback-report part's text (transfer-decoded) and the report's other parts; undefined
 * when it has no Feedback-Type (RFC 5965 requires it; the other required fields default to '').
 */
export function parseArf(text: string, parts: readonly Part[]): ArfReport | undefined {
  const f = parseFields(utf8(text));
  const feedbackType = first(f, 'feedback-type');
  if (!feedbackType) return undefined;
  let original: string | null = null;
  let trace: Record<string, unknown> | null = null;
  for (const p of parts) {
    const t = mediaType(p);
    if (t !== 'message/rfc822' && t !== 'text/rfc822-headers' && t !== 'message/rfc822-headers') continue;
    const body = decodeBody(p);
    original = utf8(body).replace(/\r\n/g, '\n');
    trace = supplementalTrace(splitEntity(body).headers);
  }
  const mta = first(f, 'reporting-mta');
  const semi = mta?.indexOf(';') ?? -1;
  const incidents = Number(first(f, 'incidents'));
  const extensions: Record<string, string[]> = {};
  for (const [k, v] of f) if (!KNOWN.has(k)) extensions[k] = v;
  return {
    feedback_type: feedbackType,
    user_agent: first(f, 'user-agent') ?? '',
    version: first(f, 'version') ?? '',
    arrival_date: rfc3339(first(f, 'arrival-date') ?? first(f, 'received-date')),
    incidents: Number.isInteger(incidents) && first(f, 'incidents') !== undefined ? incidents : null,
    original_envelope_id: first(f, 'original-envelope-id') ?? null,
    original_mail_from: reportAddress(first(f, 'original-mail-from')) ?? null,
    reporting_mta: mta ? (semi >= 0 ? { mta_type: mta.slice(0, semi).trim(), name: mta.slice(semi + 1).trim() } : { mta_type: 'dns', name: mta.trim() }) : null,
    source_ip: first(f, 'source-ip') ?? null,
    authentication_results: f.get('authentication-results') ?? [],
    original_rcpto_to: (f.get('original-rcpt-to') ?? []).map((a) => reportAddress(a) ?? a),
    reported_domain: f.get('reported-domain') ?? [],
    reported_uri: f.get('reported-uri') ?? [],
    extensions,
    original_message: original,
    supplemental_trace: trace,
  };
}
