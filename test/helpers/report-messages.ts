// Reports a remote system sends back, as the OOB/Feedback tests receive them: an RFC 3464
// delivery status notification from mx.remote.test and an RFC 5965 (ARF) abuse report from
// fbl@isp.test. The fields that a test looks at are its own; the rest is fixed.

/**
 * A DSN to `to`: one block of per-recipient fields (lines) for each entry of `recipients`,
 * and the original message's header lines (a text/rfc822-headers part).
 */
export function dsnReport(o: { to: string; recipients: string[][]; originalHeaders: string[] }): string {
  return [
    'From: MAILER-DAEMON@remote.test',
    `To: ${o.to}`,
    'Subject: Undelivered Mail',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="BND"',
    '',
    '--BND',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--BND',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.remote.test',
    '',
    ...o.recipients.flatMap((fields) => [...fields, '']),
    '--BND',
    'Content-Type: text/rfc822-headers',
    '',
    ...o.originalHeaders,
    '--BND--',
    '',
  ].join('\r\n');
}

/**
 * An abuse report to fbl@fbl.test: `fields` after Feedback-Type, User-Agent and Version
 * (Original-Rcpt-To, Arrival-Date...), and the original message's lines when given (a
 * message/rfc822 part).
 */
export function arfReport(o: { fields: string[]; original?: string[] }): string {
  return [
    'From: fbl@isp.test',
    'To: fbl@fbl.test',
    'Subject: complaint',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="B2"',
    '',
    '--B2',
    'Content-Type: text/plain',
    '',
    'This is an abuse report.',
    '--B2',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: isp-fbl/1.0',
    'Version: 1',
    ...o.fields,
    '',
    ...(o.original ? ['--B2', 'Content-Type: message/rfc822', '', ...o.original] : []),
    '--B2--',
    '',
  ].join('\r\n');
}
