import { readFileSync } from 'node:fs';
import type { MainSettings } from '../config/main-settings.js';
import type { Reporter } from '../config/report.js';
import { validateAgainstSchema } from '../config/schema-validate.js';
import { loadSourceFile } from '../config/source-file.js';
import type { Resolver } from './resolver.js';
import { StaticResolver } from './static-resolver.js';
import type { StaticZone } from './static-resolver.js';
import { SystemResolver } from './system-resolver.js';

/**
 * The last valid static zone built from each zone file, with the text it was built from. Every
 * config epoch asks for a resolver several times per process (the compile, the queue manager,
 * the listeners, TLS-RPT), and parsing and checking a 10,000-name zone file took 60–160 ms of
 * main thread each time, in the owner and in every reception worker. A StaticResolver never
 * changes after construction, so callers share it while the file's text stays the same.
 */
const zones = new Map<string, { text: string; resolver: StaticResolver }>();

/** Builds the resolver the main file asks for; a bad zone file is reported like any config file. */
export function createResolver(dns: MainSettings['dns'], r: Reporter): { resolver: Resolver; files: string[] } {
  if (dns.mode === 'static') {
    const path = dns.zoneFile;
    if (!path) return { resolver: new StaticResolver({}), files: [] };
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // loadSourceFile reports the read error
    }
    const known = zones.get(path);
    if (text !== undefined && known?.text === text) return { resolver: known.resolver, files: [path] };
    const loaded = loadSourceFile(path, text);
    if (!loaded.ok) {
      r.raw(loaded.issue);
      return { resolver: new StaticResolver({}), files: [path] };
    }
    if (!validateAgainstSchema('dns_zone', loaded.file, r)) return { resolver: new StaticResolver({}), files: [path] };
    const resolver = new StaticResolver(loaded.file.data as StaticZone);
    if (text !== undefined) zones.set(path, { text, resolver });
    return { resolver, files: [path] };
  }
  return {
    resolver: new SystemResolver({ servers: dns.mode === 'servers' ? dns.nameServers : undefined, timeoutMs: dns.timeoutMs }),
    files: [],
  };
}
