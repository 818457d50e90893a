// Shaping parameter values (shaping files and automation overrides): every kind refuses a value
// of the wrong type with a message naming what it expected and what it got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayValue, expandParam, parseMapEntry, parseParamValue } from '../../src/shaping/param-values.js';

test('a value of the wrong type for each kind: a message with what was expected and what came', () => {
  const bad: [string, unknown, RegExp][] = [
    ['connection_limit', 1.5, /invalid limit 1\.5: must be a whole number/],
    ['connection_limit', true, /invalid limit true: expected a number or "\[local:\]N"/],
    ['connection_limit', 'ten', /invalid limit "ten"/],
    ['max_message_rate', 100, /expected a throttle string such as "100\/min", got 100/],
    ['max_ready', -1, /expected a whole number, 0 or more, got -1/],
    ['smtp_port', 70000, /expected a port number 1-65535, got 70000/],
    ['connect_timeout', true, /expected a duration such as "30s", got true/],
    ['enable_dane', 'yes', /expected true or false, got "yes"/],
    ['enable_tls', 'Sometimes', /expected one of "Opportunistic", .*got "Sometimes"/],
    ['ehlo_domain', 5, /expected a string, got 5/],
    ['rustls_cipher_suites', ['a', 1], /expected a list of strings, got \["a",1\]/],
    ['skip_hosts', '10.0.0.0/8', /expected a list of CIDRs, got "10\.0\.0\.0\/8"/],
    ['smtp_auth_plain_password', 'pw', /a key source cannot be set here/],
    ['no_such_setting', 1, /unknown shaping setting "no_such_setting"/],
  ];
  for (const [name, v, re] of bad) assert.throws(() => parseParamValue(name, v), re, `${name} = ${JSON.stringify(v)}`);
});

test('good values parse to their compiled form', () => {
  assert.deepEqual(parseParamValue('connection_limit', 'local:1,000'), { spec: 'local:1,000', limit: 1000, local: true });
  assert.equal(parseParamValue('smtp_port', 2525), 2525);
  assert.equal(parseParamValue('connect_timeout', '30s'), 30_000);
  assert.deepEqual(parseParamValue('rustls_cipher_suites', ['A', 'B']), ['A', 'B']);
  assert.ok(Object.isFrozen(parseParamValue('rustls_cipher_suites', ['A'])));
  assert.equal(parseParamValue('enable_tls', 'Required'), 'Required');
  assert.deepEqual(parseMapEntry('additional_connection_limits', 5), { spec: '5', limit: 5, local: false });
  assert.equal(parseParamValue('enable_dane', true), true);
  assert.equal(parseParamValue('ehlo_domain', 'mx.test'), 'mx.test');
  assert.ok(parseParamValue('skip_hosts', ['10.0.0.0/8']), 'a CIDR set');
  assert.throws(() => parseParamValue('skip_hosts', ['not a cidr']));
  assert.ok(parseParamValue('max_message_rate', '100/min'));
  assert.throws(() => parseMapEntry('additional_message_rate_throttles', 10), /expected a throttle string/);
  assert.throws(() => parseMapEntry('max_ready', 'x'), /expected a whole number/);
});

test('automation overrides: maps expand per entry; unknown, non-automatable and non-table values are refused', () => {
  assert.deepEqual(expandParam('additional_connection_limits', { a: 3 }), [['additional_connection_limits.a', { spec: '3', limit: 3, local: false }]]);
  assert.deepEqual(expandParam('max_ready', 7), [['max_ready', 7]]);
  assert.throws(() => expandParam('nope', 1), /unknown shaping setting "nope"/);
  assert.throws(() => expandParam('smtp_auth_plain_username', 'u'), /"smtp_auth_plain_username" cannot be changed by automation/);
  assert.throws(() => expandParam('additional_connection_limits', [1]), /additional_connection_limits takes a table of name = value/);
});

test('display: strings quoted, key_data hidden', () => {
  assert.equal(displayValue('x'), '"x"');
  assert.equal(displayValue({ key_data: 'secret' }), '{ key_data = (hidden) }');
  assert.equal(displayValue([1, 2]), '[1,2]');
});
