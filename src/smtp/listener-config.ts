import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { CidrSet, LOOPBACK_CIDRS, parseHostPort } from '../config/values.js';
import type { HostPort } from '../config/values.js';
import type { Listener as RawListener } from '../config/generated/kumo.js';

/** A listener as compiled into the snapshot. */
export interface ListenerSettings {
  readonly name: string;
  readonly listen: HostPort;
  readonly hostname: string;
  readonly banner: string;
  readonly relayHosts: CidrSet;
}

export function compileListener(
  file: SourceFile,
  path: KeyPath,
  name: string,
  raw: RawListener,
  nodeHostname: string,
  r: Reporter,
): ListenerSettings | undefined {
  const listen = r.parse(file, [...path, 'listen'], 'value.host-port', () => parseHostPort(raw.listen));
  const relayHosts = r.parse(file, [...path, 'relay_hosts'], 'value.cidr', () => new CidrSet(raw.relay_hosts ?? LOOPBACK_CIDRS));
  if (!listen || !relayHosts) return undefined;
  const hostname = raw.hostname ?? nodeHostname;
  return { name, listen, hostname, banner: raw.banner ?? `${hostname} ESMTP kumo-ts`, relayHosts };
}
