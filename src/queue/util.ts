import type { SmtpReply } from '../delivery/response.js';

/** "code text" of the first reply of a list, for messages. */
export function firstReply(list: [string, SmtpReply][]): string {
  const r = list[0]?.[1];
  return r ? `${r.code} ${r.text}` : '';
}

/** Waits for `p` until the epoch-ms deadline `at`; true if it settled in time. */
export async function raceDeadline(p: Promise<unknown>, at: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    t = setTimeout(() => r(false), Math.max(0, at - Date.now()));
  });
  const res = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(t);
  return res;
}
