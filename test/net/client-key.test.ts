import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, unmapIpv4 } from '../../src/net/client-key.js';

test('client keys: IPv4 as is, IPv4-mapped unmapped, IPv6 by its /64 (zone index and an embedded IPv4 tail included)', () => {
  assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(unmapIpv4('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  // an IPv4 tail is two groups: the /64 is still the first four groups
  assert.equal(clientKey('2001:db8:1:2:0:0:192.0.2.1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  // not an address: unchanged
  assert.equal(clientKey('not-an-ip'), 'not-an-ip');
});
