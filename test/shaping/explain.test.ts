import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

/** `kumo-ts explain` as a user runs it: a real child process on a config dir with a static zone. */
const SHAPING = `["default"]
connection_limit = 10
max_message_rate = "100/s"

["yahoo.com"]
max_deliveries_per_connection = 20

["foo.com"]
mx_rollup = false
max_deliveries_per_connection = 50
connection_limit = 3
additional_connection_limits = { "shared-a" = 4 }

["foo.com".sources."IP-1"]
max_deliveries_per_connection = 5

[provider."google"]
match = [{MXSuffix = ".google.com"}]
provider_connection_limit = 5
enable_tls = "Required"
`;

describe('kumo-ts explain', () => {
  let t: ReturnType<typeof tempTree>;
  before(() => {
    t = tempTree({
      'config/kumo.toml': '[server]\nsmtp = false\n[files]\nshaping = ["shaping.toml"]\n[dns]\nmode = "static"\nzone_file = "zone.yaml"\n[spool]\npath = "../data/spool"\n',
      'config/shaping.toml': SHAPING,
      'config/zone.yaml': [
        'yahoo.com: { mx: ["1 mta5.am0.yahoodns.net", "1 mta6.am0.yahoodns.net"] }',
        'foo.com: { mx: ["1 mta5.am0.yahoodns.net", "1 mta6.am0.yahoodns.net"] }',
        'brand.example: { mx: ["5 aspmx.l.google.com", "10 alt1.aspmx.l.google.com"] }',
      ].join('\n') + '\n',
    });
  });
  after(() => t.cleanup());
  const run = (...args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', ...args, '-c', join(t.dir, 'config')], { encoding: 'utf8' });

  test('every value with the file:line that set it; the layers in order', () => {
    const r = run('foo.com', '--source', 'IP-1');
    assert.equal(r.status, 0, r.stderr);
    const file = join(t.dir, 'config', 'shaping.toml');
    const line = (name: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(name + ' '))?.replace(/\s+/g, ' ').trim();
    // mx_rollup = false: the domain is its own site (its own ready queue and limits); the site block still applies
    assert.match(r.stdout, /^foo\.com via egress source "IP-1"\n {2}site: {6}foo\.com {2}\(own site \(mx_rollup = false\), MX rollup \(mta5\|mta6\)\.am0\.yahoodns\.net; MX: /);
    assert.match(r.stdout, /\n {2}ready q: {3}IP-1->foo\.com@smtp_client\n/);
    assert.match(r.stdout, /layers: {4}default → site \(mta5\|mta6\)\.am0\.yahoodns\.net \("yahoo\.com"\) → "foo\.com" → "foo\.com" source "IP-1"/);
    assert.equal(line('connection_limit'), `connection_limit 3 ${file}:11 "foo.com"`);
    assert.equal(line('max_deliveries_per_connection'), `max_deliveries_per_connection 5 ${file}:15 "foo.com" source "IP-1"`);
    // an entry of a map parameter: the line of the parameter that holds it
    assert.equal(line('additional_connection_limits.shared-a'), `additional_connection_limits.shared-a 4 ${file}:12 "foo.com"`);
    assert.equal(line('max_message_rate'), `max_message_rate "100/s" ${file}:3 default`);
    assert.equal(line('max_ready'), 'max_ready 1024 (default)');
    assert.match(r.stdout, /active automation: none/);
  });

  test('the matched provider and its shared limit; --json', () => {
    const r = run('brand.example', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.providers, ['google']);
    assert.equal(j.site, 'alt1?.aspmx.l.google.com');
    assert.equal(j.readyQueue, 'unspecified->alt1?.aspmx.l.google.com@smtp_client;tls=Required');
    const pcl = j.values.find((v: { name: string }) => v.name === 'provider_connection_limit');
    assert.equal(pcl.value, '5');
    assert.equal(pcl.line, 19);
    assert.equal(j.effective.enable_tls, 'Required');
    assert.equal(j.effective.max_message_rate, '100/s');
  });

  test('a domain without DNS answers is still explained (site = domain), with a note', () => {
    const r = run('nowhere.example');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /note: {6}MX lookup failed \(NXDOMAIN\)/);
    assert.match(r.stdout, /connection_limit +10 /);
  });
});
