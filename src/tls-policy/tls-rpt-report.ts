import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { TlsRptResultType } from './route-policy.js';

/** The counts of one policy of one domain over a period (RFC 8460 §4.4). */
export interface PolicyCounts {
  readonly domain: string;
  readonly policyType: 'sts' | 'tlsa' | 'no-policy-found';
  policyString: string[];
  mxHost: string[];
  success: number;
  failure: number;
  /** by result-type|sending-ip|receiving-mx|receiving-ip */
  details: Record<string, { type: TlsRptResultType; sendingIp?: string; mxHost?: string; receivingIp?: string; count: number; info?: string }>;
}

export interface ReportMeta {
  readonly organizationName: string;
  readonly contactInfo: string;
  readonly start: number;
  readonly end: number;
}

/** RFC 8460 §4.4 JSON of one domain's policies. */
export function buildReport(meta: ReportMeta, policies: readonly PolicyCounts[]): { id: string; json: Record<string, unknown> } {
  const id = `${new Date(meta.start).toISOString()}_${policies[0]?.domain ?? ''}_${randomUUID()}`;
  return {
    id,
    json: {
      'organization-name': meta.organizationName,
      'date-range': { 'start-datetime': new Date(meta.start).toISOString().replace(/\.\d{3}Z$/, 'Z'), 'end-datetime': new Date(meta.end).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      'contact-info': meta.contactInfo,
      'report-id': id,
      policies: policies.map((p) => ({
        policy: {
          'policy-type': p.policyType,
          ...(p.policyString.length ? { 'policy-string': p.policyString } : {}),
          'policy-domain': p.domain,
          ...(p.policyType === 'sts' && p.mxHost.length ? { 'mx-host': p.mxHost } : {}),
        },
        summary: { 'total-successful-session-count': p.success, 'total-failure-session-count': p.failure },
        ...(Object.keys(p.details).length
          ? {
              'failure-details': Object.values(p.details).map((d) => ({
                'result-type': d.type,
                ...(d.sendingIp ? { 'sending-mta-ip': d.sendingIp } : {}),
                ...(d.mxHost ? { 'receiving-mx-hostname': d.mxHost } : {}),
                ...(d.receivingIp ? { 'receiving-ip': d.receivingIp } : {}),
                'failed-session-count': d.count,
                ...(d.info ? { 'additional-information': d.info.slice(0, 500) } : {}),
              })),
            }
          : {}),
      })),
    },
  };
}

/** `v=TLSRPTv1; rua=mailto:a@b,https://…` (RFC 8460 §3): the rua URIs, or undefined. */
export function parseTlsRptTxt(records: readonly string[]): string[] | undefined {
  const rec = records.filter((r) => /^v=TLSRPTv1\s*(;|$)/.test(r.trim()));
  if (rec.length !== 1) return undefined;
  const m = /(?:^|;)\s*rua=([^;]*)/.exec(rec[0]);
  if (!m) return undefined;
  const out = m[1].split(',').map((u) => u.trim()).filter((u) => /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/i.test(u));
  return out.length ? out : undefined;
}

/** RFC 8460 §5.3: the report as a multipart/report message with the gzipped JSON attached. */
export function reportMessage(o: { from: string; to: string; domain: string; submitter: string; reportId: string; gz: Buffer; start: number; end: number }): Buffer {
  const boundary = `tlsrpt-${randomUUID()}`;
  const fname = `${o.submitter}!${o.domain}!${Math.floor(o.start / 1000)}!${Math.floor(o.end / 1000)}.json.gz`;
  const b64 = o.gz.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.from([
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: Report Domain: ${o.domain} Submitter: ${o.submitter} Report-ID: <${o.reportId}>`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomUUID()}@${o.submitter}>`,
    `TLS-Report-Domain: ${o.domain}`,
    `TLS-Report-Submitter: ${o.submitter}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is an aggregate TLS report (RFC 8460) from ${o.submitter} for ${o.domain}.`,
    '',
    `--${boundary}`,
    'Content-Type: application/tlsrpt+gzip',
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${fname}"`,
    '',
    b64.trimEnd(),
    `--${boundary}--`,
    '',
  ].join('\r\n'));
}

export function gzipReport(json: Record<string, unknown>): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(json)));
}
