import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempTree } from '../helpers/tmp.js';

/** `kumo-ts explain` tells the whole route: a real child process on a config with a static zone. */
describe('kumo-ts explain: the whole route', () => {
  let t: ReturnType<typeof tempTree>;
  before(() => {
    t = tempTree({
      'config/kumo.toml': '[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.yaml"\n[spool]\npath = "../data/spool"\n',
      'config/zone.yaml': [
        'example.com: { mx: ["10 mx1.example.com", "20 mx2.example.com"] }',
        'mx1.example.com: { a: ["192.0.2.10"] }',
        'mx2.example.com: { a: ["192.0.2.11"], aaaa: ["2001:db8::11"] }',
        'nohosts.example: { mx: ["10 mx.nohosts.example"] }',
      ].join('\n') + '\n',
      'config/sources.toml': '[source."ip-1"]\nsource_address = "10.0.0.1"\nehlo_domain = "mta1.example.net"\nremote_port = 2525\nttl = "5m"\n[source."ip-2"]\nsource_address = "10.0.0.2"\n[pool."p1"."ip-1"]\nweight = 2\n[pool."p1"."ip-2"]\n',
      'config/queues.toml': [
        'default_tenant = "t1"',
        '[tenant.t1]\negress_pool = "p1"\noverall_max_message_rate = "100/s"',
        '[queue.default]\nrefresh_interval = "5m"',
        "[queue.'example.com']\nretry_interval = '10m'\nmax_message_rate = '50/min'",
        "[queue.'inbound.test']\nrouting_domain = '[10.0.0.9]'",
        "[queue.'md.test']\nprotocol = { maildir_path = '/tmp/md' }",
        "[queue.'bus.test']\nprotocol = { amqp = { url = 'amqp://kumo:topsecret@127.0.0.1:5672/mail', exchange = 'kumo.mail', routing_key = 'mail.{tenant}', body = 'json' } }",
      ].join('\n') + '\n',
      'config/shaping.toml': '["default"]\nconnection_limit = 5\nsmtp_port = 2526\ntls_handshake_timeout = "3s"\nehlo_domain = "path.example.net"\nenable_rset = false\n',
    });
  });
  after(() => t.cleanup());
  const run = (...args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', ...args, '-c', join(t.dir, 'config')], { encoding: 'utf8' });
  const field = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(`  ${name}:`))?.replace(/^ +[a-z ]+: +/, '');

  test('a name that is no domain is refused (exit 2) before any lookup', () => {
    for (const bad of ['', '..bad..domain', 'a@b.example']) {
      const r = run(bad);
      assert.equal(r.status, 2, `${bad}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr, `kumo-ts explain: ${JSON.stringify(bad)} is not a domain name\n`);
    }
  });

  test('queue, pool and chosen source, MX hosts and site, ready queue and port, then the shaping', () => {
    const r = run('example.com');
    assert.equal(r.status, 0, r.stderr);
    const o = r.stdout;
    assert.match(o, /^example\.com via egress source "ip-1"\n {2}site: {6}\(mx1\|mx2\)\.example\.com {2}\(MX: mx1\.example\.com, mx2\.example\.com\)\n/);
    assert.equal(field(o, 'ready q'), 'ip-1->(mx1|mx2).example.com@smtp_client;port=2525');
    assert.equal(field(o, 'queue'), 't1@example.com  (tenant "t1" (default_tenant))');
    assert.equal(field(o, 'protocol'), 'smtp to the MX hosts');
    assert.equal(field(o, 'retry'), 'retry_interval 10m, max_retry_interval (none), max_age 7d, max_message_rate 50/min, tenant overall_max_message_rate 100/s');
    assert.equal(field(o, 'pool'), '"p1": ip-1 (weight 2), ip-2 (weight 1)');
    assert.equal(field(o, 'source'), 'ip-1 (first pick of the pool; --source NAME for another): from 10.0.0.1, EHLO mta1.example.net');
    // the source's remote_port wins over shaping's smtp_port (KumoMTA's order)
    assert.equal(field(o, 'hosts'), 'mx1.example.com [192.0.2.10]:2525; mx2.example.com [192.0.2.11, 2001:db8::11]:2525');
    // every setting of the route that is not acted on, and why
    assert.equal(
      field(o, 'not acted on yet'),
      'queue refresh_interval = "5m" (every config change applies at the next decision); ' +
        'source "ip-1" ttl = "5m" (sources are re-read on every config change)',
    );
    const line = (name: string) => o.split('\n').find((l) => l.trimStart().startsWith(name + ' '))?.replace(/\s+/g, ' ').trim();
    const file = join(t.dir, 'config', 'shaping.toml');
    assert.equal(line('smtp_port'), `smtp_port 2526 ${file}:3 default`); // acted on since issue 12 item 4
    assert.equal(line('connection_limit'), `connection_limit 5 ${file}:2 default`);
    assert.equal(line('enable_dane'), 'enable_dane false (default)'); // acted on since issue 12 (src/tls-policy/)
    assert.equal(line('tls_handshake_timeout'), `tls_handshake_timeout "3s" ${file}:4 default`);
    assert.equal(line('ehlo_domain'), `ehlo_domain "path.example.net" ${file}:5 default`);
    assert.equal(line('enable_rset'), `enable_rset false ${file}:6 default (not acted on yet: not configurable yet)`);
  });

  test('--source, --tenant and --campaign; --json carries the route', () => {
    const r = run('example.com', '--source', 'ip-2', '--tenant', 't1', '--campaign', 'c9', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.readyQueue, 'ip-2->(mx1|mx2).example.com@smtp_client;port=2526'); // ip-2 has no remote_port: smtp_port applies
    assert.equal(j.route.queue, 'c9:t1@example.com');
    assert.deepEqual(j.route.source, { name: 'ip-2', chosen: 'option', inPool: true, address: '10.0.0.2' });
    assert.equal(j.route.port, 2526);
    assert.deepEqual(j.route.hosts.map((h: { port: number }) => h.port), [2526, 2526]);
    assert.equal(j.values.find((v: { name: string }) => v.name === 'smtp_port').notActed, undefined);
    assert.equal(j.values.find((v: { name: string }) => v.name === 'connection_limit').notActed, undefined);
    const rset = j.values.find((v: { name: string }) => v.name === 'enable_rset');
    assert.equal(rset.notActed, true);
    assert.equal(rset.notActedReason, 'not configurable yet');
    assert.ok(!j.route.notActed.some((n: { name: string }) => n.name.startsWith('source ')), 'ip-2 has no ttl: nothing of the source');
  });

  test('routing_domain = "[10.0.0.9]" routes to that address; a maildir queue says so', () => {
    const r = run('inbound.test');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(field(r.stdout, 'queue'), 't1@inbound.test![10.0.0.9]  (tenant "t1" (default_tenant), routing_domain [10.0.0.9])');
    assert.equal(field(r.stdout, 'protocol'), 'smtp to mx_list [10.0.0.9]');
    assert.equal(field(r.stdout, 'hosts'), '10.0.0.9 [10.0.0.9]:2525');
    assert.equal(field(r.stdout, 'ready q'), 'ip-1->mx_list:[10.0.0.9]@smtp_client;port=2525');
    const m = run('md.test', '--json');
    assert.equal(m.status, 0, m.stderr);
    assert.equal(JSON.parse(m.stdout).route.protocol, 'maildir');
    assert.equal(JSON.parse(m.stdout).route.maildirPath, '/tmp/md');
  });

  test('an AMQP queue: the broker without its password, exchange, routing key and body; its site', () => {
    const r = run('bus.test');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(field(r.stdout, 'protocol'), 'amqp amqp://kumo@127.0.0.1:5672/mail exchange "kumo.mail" routing_key "mail.{tenant}" (body json, confirm timeout 30s, unroutable retry)');
    assert.match(r.stdout, /^ {2}site: {6}amqp:amqp:\/\/kumo@127\.0\.0\.1:5672\/mail$/m);
    const j = run('bus.test', '--json');
    assert.equal(j.status, 0, j.stderr);
    assert.equal(JSON.parse(j.stdout).route.protocol, 'amqp');
    assert.doesNotMatch(r.stdout + j.stdout, /topsecret/);
  });

  test('MX hosts without addresses: the site and ready queue are still shown, with why the route fails now', () => {
    const r = run('nohosts.example');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(field(r.stdout, 'ready q'), 'ip-1->mx.nohosts.example@smtp_client;port=2525');
    assert.equal(field(r.stdout, 'port'), '2525');
    assert.match(field(r.stdout, 'route') ?? '', /^temporary failure 451 4\.4\.4: no address for any MX host of nohosts\.example/);
  });
});

test('kumo-ts explain on an invalid config prints every issue as FILE:LINE:COL and exits 1', () => {
  const t = tempTree({ 'config/kumo.toml': '[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.yaml"\nbogus = 1\n', 'config/zone.yaml': '' });
  try {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'explain', 'example.com', '-c', join(t.dir, 'config')], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /kumo\.toml:6:1: unknown key "bogus" in dns/);
    assert.equal(r.stdout, '');
  } finally {
    t.cleanup();
  }
});
