// What `kumo-ts top` shows, as pure functions of the samples it took (testable without a
// terminal), and the ink component that draws those lines.
import type { ReactElement } from 'react';
import type {
  BounceV1ListEntry, QueueSummaryV1, QueueTotals, SuspendReadyQV1ListEntry, SuspendV1ListEntry,
} from './api-types.js';
import { describeSelector } from './queue-select.js';
import { age, count, rate, until } from './table.js';

export interface TopSample {
  /** ms since the epoch when the sample was taken */
  readonly at: number;
  readonly summary: QueueSummaryV1;
  readonly epoch?: number;
  readonly bounces?: readonly BounceV1ListEntry[];
  readonly suspends?: readonly SuspendV1ListEntry[];
  readonly readySuspends?: readonly SuspendReadyQV1ListEntry[];
}

export interface TopState {
  readonly endpoint: string;
  readonly connected: boolean;
  /** the last failure, while disconnected */
  readonly error?: string;
  /** the server answered, but with an error (e.g. 401, 404): not "disconnected" */
  readonly refused?: boolean;
  readonly last?: TopSample;
  readonly prev?: TopSample;
  /** ms since the epoch of the last attempt */
  readonly now: number;
}

export interface Rates {
  readonly received?: number;
  readonly delivered?: number;
  readonly transient?: number;
  readonly failed?: number;
}

/** Per-second rates from two samples' counters; undefined when a counter went back (server restarted). */
export function ratesBetween(prev: TopSample | undefined, cur: TopSample | undefined): Rates {
  if (!prev || !cur) return {};
  const dt = (cur.at - prev.at) / 1000;
  if (dt <= 0) return {};
  const r = (k: keyof QueueTotals) => {
    const d = cur.summary.totals[k] - prev.summary.totals[k];
    return d >= 0 ? d / dt : undefined;
  };
  return { received: r('received_total'), delivered: r('delivered_total'), transient: r('transient_total'), failed: r('failed_total') };
}

export interface TopLine {
  readonly text: string;
  readonly color?: 'red' | 'green' | 'yellow' | 'cyan';
  readonly bold?: boolean;
  readonly dim?: boolean;
}

function fit(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length <= w ? s.padEnd(w) : `${s.slice(0, Math.max(0, w - 1))}…`;
}

function section(title: string, width: number): TopLine {
  const t = `── ${title} `;
  return { text: t + '─'.repeat(Math.max(0, width - t.length)), color: 'cyan', bold: true };
}

/**
 * The screen as lines of at most `width` characters, at most `height` lines: header, rates,
 * the largest scheduled and ready queues, then suspensions and bounce rules.
 */
export function topLines(s: TopState, width: number, height: number): TopLine[] {
  const w = Math.max(40, width);
  const lines: TopLine[] = [];
  const clock = new Date(s.now).toISOString().slice(11, 19);
  const epoch = s.last?.epoch !== undefined ? `epoch ${s.last.epoch}` : 'epoch ?';
  lines.push({ text: fit(`kumo-ts top — ${s.endpoint}  ${epoch}  ${clock} UTC   (q quits)`, w), bold: true });
  if (!s.connected) {
    const since = s.last ? ` (data from ${age((s.now - s.last.at) / 1000)} ago)` : '';
    lines.push({ text: fit(`${s.refused ? 'server refused' : 'disconnected'}: ${s.error ?? 'no answer'}; retrying each second${since}`, w), color: 'red', bold: true });
  } else lines.push({ text: fit('connected', w), color: 'green' });
  const sum = s.last?.summary;
  const rt = s.connected ? ratesBetween(s.prev, s.last) : {};
  lines.push({ text: fit(`rates/s: delivered ${rate(rt.delivered)}  transient ${rate(rt.transient)}  failed ${rate(rt.failed)}  received ${rate(rt.received)}`, w) });
  if (!sum) return lines.slice(0, height);
  const t = sum.totals;
  lines.push({ text: fit(`queued: scheduled ${count(t.scheduled)}  ready ${count(t.ready)}   since start: delivered ${count(t.delivered_total)}  transient ${count(t.transient_total)}  failed ${count(t.failed_total)}`, w), dim: true });

  const rules: TopLine[] = [];
  for (const e of s.last?.suspends ?? []) rules.push({ text: fit(`suspended  ${describeSelector(e)}  ${e.expires ? until(e.expires, s.now) : e.duration} left: ${e.reason}  [${e.id}]`, w), color: 'yellow' });
  for (const e of s.last?.readySuspends ?? []) rules.push({ text: fit(`suspended  ready-q=${e.name}  ${until(e.expires, s.now)} left: ${e.reason}  [${e.id}]`, w), color: 'yellow' });
  for (const e of s.last?.bounces ?? []) rules.push({ text: fit(`bouncing   ${describeSelector(e)}  ${e.expires ? until(e.expires, s.now) : e.duration} left, ${count(e.total_bounced ?? 0)} bounced: ${e.reason}  [${e.id}]`, w), color: 'red' });

  // rows for the two queue tables after their headers (2 sections + 2 column titles); rules
  // take a quarter of what is left, and only while the queues keep at least two rows
  const avail = height - lines.length - 4;
  let ruleRows = rules.length ? Math.min(rules.length, Math.max(1, Math.floor(avail / 4))) : 0;
  if (avail - (ruleRows + 1) < 2) ruleRows = 0;
  const free = Math.max(2, avail - (ruleRows ? ruleRows + 1 : 0));
  const sched = [...sum.scheduled].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const ready = [...sum.ready].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const schedRows = Math.min(sched.length, Math.max(Math.ceil(free / 2), free - ready.length));
  const readyRows = Math.min(ready.length, free - schedRows);
  const shown = (n: number, of: number) => (n < of ? `, largest ${n} shown` : '');

  const nameW = w - 34;
  lines.push(section(`scheduled queues: ${sched.length}${shown(schedRows, sched.length)}`, w));
  lines.push({ text: fit(`${fit('QUEUE', nameW)} ${'COUNT'.padStart(9)} ${'OLDEST'.padStart(8)}  STATE`, w), bold: true });
  for (const q of sched.slice(0, schedRows)) {
    const state = q.bounce ? 'bouncing' : q.suspended ? 'suspended' : '';
    lines.push({ text: fit(`${fit(q.name, nameW)} ${count(q.count).padStart(9)} ${age(q.oldest_age_s).padStart(8)}  ${state}`, w), color: q.bounce ? 'red' : q.suspended ? 'yellow' : undefined });
  }
  lines.push(section(`ready queues: ${ready.length}${shown(readyRows, ready.length)}`, w));
  lines.push({ text: fit(`${fit('QUEUE', nameW)} ${'COUNT'.padStart(9)} ${'CONN'.padStart(8)}  STATE`, w), bold: true });
  for (const q of ready.slice(0, readyRows)) {
    lines.push({ text: fit(`${fit(q.name, nameW)} ${count(q.count).padStart(9)} ${count(q.connections).padStart(8)}  ${q.suspended ? 'suspended' : ''}`, w), color: q.suspended ? 'yellow' : undefined });
  }
  if (ruleRows) {
    lines.push(section(`suspensions and bounce rules: ${rules.length}${shown(ruleRows, rules.length)}`, w));
    lines.push(...rules.slice(0, ruleRows));
  }
  return lines.slice(0, height);
}

/** The ink element drawing `lines` (React and ink are passed in: they are loaded lazily). */
export function topElement(
  lines: readonly TopLine[],
  React: typeof import('react'),
  ink: Pick<typeof import('ink'), 'Box' | 'Text'>,
): ReactElement {
  const h = React.createElement;
  return h(ink.Box, { flexDirection: 'column' },
    ...lines.map((l, i) => h(ink.Text, { key: i, wrap: 'truncate', color: l.color, bold: l.bold, dimColor: l.dim }, l.text)));
}
