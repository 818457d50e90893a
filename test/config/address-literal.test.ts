import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressLiteral } from '../../src/config/address-literal.js';

test('address literals: IPv4, tagged and untagged IPv6, a port outside the brackets', () => {
  assert.deepEqual(parseAddressLiteral('[10.0.0.1]'), { addr: '10.0.0.1' });
  assert.deepEqual(parseAddressLiteral('[IPv6:2001:DB8::1]'), { addr: '2001:db8::1' });
  assert.deepEqual(parseAddressLiteral('[::1]'), { addr: '::1' });
  assert.deepEqual(parseAddressLiteral(' [10.0.0.1]:2025 '), { addr: '10.0.0.1', port: 2025 });
  assert.equal(parseAddressLiteral('mx.example.com'), undefined, 'not bracketed: not a literal, no error');
});

test('address literals: KumoMTA\'s port inside the brackets (IPv4 only), not both inside and outside', () => {
  assert.deepEqual(parseAddressLiteral('[10.0.0.1:2025]'), { addr: '10.0.0.1', port: 2025 });
  assert.throws(() => parseAddressLiteral('[10.0.0.1:2025]:25'), /"\[10\.0\.0\.1:2025\]:25" gives a port both inside and outside the brackets/);
  assert.throws(() => parseAddressLiteral('[10.0.0.1:0]'), /port must be 1-65535/);
  assert.throws(() => parseAddressLiteral('[999.0.0.1:25]'), /"999\.0\.0\.1:25" is not an IP address/);
});

test('address literals: malformed brackets and non-addresses are errors naming the input', () => {
  assert.throws(() => parseAddressLiteral('[10.0.0.1'), /"\[10\.0\.0\.1" is a malformed address literal/);
  assert.throws(() => parseAddressLiteral('[mx.example.com]'), /"mx\.example\.com" is not an IP address/);
  assert.throws(() => parseAddressLiteral('[10.0.0.1]:70000'), /port must be 1-65535/);
});
