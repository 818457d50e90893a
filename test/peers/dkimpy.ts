// DKIM verification by dkimpy (Debian python3-dkim), an implementation independent of the
// signer: every DKIM-Signature of a message is verified with a dnsfunc answering from the
// test's key records, never real DNS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The system Python with python3-dkim (the `python3` on PATH may be another one without it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
import dkim
records = json.loads(sys.argv[1])
def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    txt = records.get(name.rstrip('.').lower())
    return txt.encode() if txt is not None else None
msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg)
out = []
sigs = [h for h in d.headers if h[0].lower() == b'dkim-signature']
for i, (_, value) in enumerate(sigs):
    tags = dict((k.strip(), v.strip()) for k, v in (t.split('=', 1) for t in value.decode().replace('\\r\\n', '').split(';') if '=' in t))
    v = dkim.DKIM(msg)
    try:
        ok = v.verify(idx=i, dnsfunc=dnsfunc)
        err = None
    except Exception as e:
        ok = False
        err = str(e)
    out.append({'d': tags.get('d'), 's': tags.get('s'), 'a': tags.get('a'), 'c': tags.get('c', 'simple/simple'), 'ok': bool(ok), 'error': err})
print(json.dumps(out))
`;

export interface DkimpyResult {
  d: string;
  s: string;
  a: string;
  c: string;
  ok: boolean;
  error: string | null;
}

/** true when the system Python can import dkim (python3-dkim). */
export function haveDkimpy(): boolean {
  return existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import dkim, nacl'], { stdio: 'ignore' }).status === 0;
}

/** Verifies each DKIM-Signature of `message` with dkimpy; `records` maps "<sel>._domainkey.<domain>" to the TXT value. */
export function dkimpyVerify(message: Buffer, records: Record<string, string>): DkimpyResult[] {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', SCRIPT, JSON.stringify(records)], { input: message, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`dkimpy failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as DkimpyResult[];
}
