// Shared by the record tests: a lab config whose kumo.toml the test writes whole, a sender that
// can connect from another loopback address (not a relay host), and KumoMTA's shape rules.
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { labConfig } from '../queue/lab.js';

export interface RecordsLab {
  dir: string;
  logs: string;
  spool: string;
  write(rel: string, text: string): string;
  cleanup(): void;
}

/** A lab (test/queue/lab.ts) with kumo.toml replaced: `listener` and `logs` are TOML lines for those tables. */
export function recordsLab(o: { smtpPort: number; sinkPort: number; zone: string; queues?: string; listener?: string; logs?: string; extra?: string }): RecordsLab {
  const lab = labConfig({ smtpPort: o.smtpPort, sinkPort: o.sinkPort, zone: o.zone, queues: o.queues });
  const logs = join(lab.dir, 'logs');
  const spool = join(lab.dir, 'spool');
  lab.write('config/kumo.toml', `
hostname = "kumo.lab.test"
[listener.smtp]
listen = "127.0.0.1:${o.smtpPort}"
${o.listener ?? ''}
[http]
enabled = false
[spool]
path = ${JSON.stringify(spool)}
[logs]
path = ${JSON.stringify(logs)}
compress = false
${o.logs ?? ''}
[dns]
mode = "static"
zone_file = "zone.toml"
allow_loopback_destinations = true
${o.extra ?? ''}
`);
  return { dir: lab.dir, logs, spool, write: lab.write, cleanup: lab.cleanup };
}

export interface SendResult {
  ok: boolean;
  /** spool id from the 250 reply */
  id?: string;
  response?: string;
  error?: Error & { responseCode?: number; response?: string };
}

/** One SMTP session from `localAddress` sending each message in turn (EHLO, no TLS); a refused one should come last. */
export async function sendFrom(port: number, localAddress: string, msgs: { from: string; to: string[]; data: string }[]): Promise<SendResult[]> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port, localAddress, ignoreTLS: true, logger: false, connectionTimeout: 10_000, name: 'client.lab.test' });
  conn.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  const out: SendResult[] = [];
  for (const m of msgs) {
    out.push(await new Promise<SendResult>((resolve) =>
      conn.send({ from: m.from, to: m.to }, m.data, (err, info) => {
        if (err) return resolve({ ok: false, error: err as SendResult['error'] });
        const response = (info as { response?: string }).response ?? '';
        resolve({ ok: true, response, id: /id=(\w+)/.exec(response)?.[1] });
      })));
  }
  conn.quit();
  return out;
}

/** JSON type of a value as the comparison sees it ('integer' apart from other numbers). */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export interface ShapeRules {
  /** dotted paths that may be null where the documented example has a value */
  nullable: ReadonlySet<string>;
  /** dotted paths that may be left out */
  optional: ReadonlySet<string>;
  /** dotted paths whose object contents are free (meta, headers) */
  free: ReadonlySet<string>;
}

/**
 * Field-by-field comparison with a documented example: the same keys (optional ones may be
 * missing), in the same order, each of the same JSON type (or null where nullable), down
 * through nested objects and arrays. Returns the differences, one line each.
 */
export function compareShape(ours: unknown, doc: unknown, rules: ShapeRules, path = ''): string[] {
  const out: string[] = [];
  const at = path || '(record)';
  const to = jsonType(ours);
  const td = jsonType(doc);
  if (to === 'null' && (rules.nullable.has(path) || td === 'null')) return out;
  // a documented null says nothing about the type: any value is accepted there
  if (td === 'null') return out;
  if (to !== td && !(td === 'number' && to === 'integer')) return [`${at}: ${to} where KumoMTA has ${td}`];
  if (rules.free.has(path)) return out;
  if (td === 'array') {
    const d0 = (doc as unknown[])[0];
    if (d0 !== undefined) for (const v of ours as unknown[]) out.push(...compareShape(v, d0, rules, `${path}[]`));
    return [...new Set(out)];
  }
  if (td !== 'object') return out;
  const o = ours as Record<string, unknown>;
  const d = doc as Record<string, unknown>;
  const key = (k: string) => (path ? `${path}.${k}` : k);
  for (const k of Object.keys(o)) if (!(k in d)) out.push(`${key(k)}: not a KumoMTA field`);
  for (const k of Object.keys(d)) {
    if (!(k in o)) {
      if (!rules.optional.has(key(k))) out.push(`${key(k)}: missing`);
      continue;
    }
    out.push(...compareShape(o[k], d[k], rules, key(k)));
  }
  const order = Object.keys(o).filter((k) => k in d);
  const docOrder = Object.keys(d).filter((k) => k in o);
  if (order.join() !== docOrder.join()) out.push(`${at}: fields in another order than KumoMTA's: ${order.join(',')}`);
  return out;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** RFC 3339, UTC ("Z"), with or without a fraction */
export const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
