import type { MainSettings } from '../config/main-settings.js';
import type { Reporter } from '../config/report.js';
import { validateAgainstSchema } from '../config/schema-validate.js';
import { loadSourceFile } from '../config/source-file.js';
import type { Resolver } from './resolver.js';
import { StaticResolver } from './static-resolver.js';
import type { StaticZone } from './static-resolver.js';
import { SystemResolver } from './system-resolver.js';

/** Builds the resolver the main file asks for; a bad zone file is reported like any config file. */
export function createResolver(dns: MainSettings['dns'], r: Reporter): { resolver: Resolver; files: string[] } {
  if (dns.mode === 'static') {
    if (!dns.zoneFile) return { resolver: new StaticResolver({}), files: [] };
    const loaded = loadSourceFile(dns.zoneFile);
    if (!loaded.ok) {
      r.raw(loaded.issue);
      return { resolver: new StaticResolver({}), files: [dns.zoneFile] };
    }
    const ok = validateAgainstSchema('dns_zone', loaded.file, r);
    return { resolver: new StaticResolver(ok ? (loaded.file.data as StaticZone) : {}), files: [dns.zoneFile] };
  }
  return {
    resolver: new SystemResolver({ servers: dns.mode === 'servers' ? dns.nameServers : undefined, timeoutMs: dns.timeoutMs }),
    files: [],
  };
}
