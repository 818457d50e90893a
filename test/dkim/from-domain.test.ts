import { it } from 'node:test';
import assert from 'node:assert/strict';
import { addressDomain } from '../../src/dkim/from-domain.js';

it('finds the domain of the first From address', () => {
  const cases: [string, string | undefined][] = [
    ['alice@Example.COM', 'example.com'],
    [' Alice <alice@example.com>', 'example.com'],
    ['"Bob @ Work, <x@evil.example>" <bob@example.org>', 'example.org'],
    ['bob@example.org (Bob <bob@evil.example>)', 'example.org'],
    ['(comment (nested)) <a@b.example>', 'b.example'],
    ['a@one.example, b@two.example', 'one.example'],
    ['Team: a@team.example, b@x.example;', 'team.example'],
    ['<a@mañana.example>', 'xn--maana-pta.example'],
    ['=?utf-8?q?Al=C3=AFce?= <a@enc.example>', 'enc.example'],
    ['<a@example.com.>', 'example.com'],
    ['undisclosed', undefined],
    ['<>', undefined],
    ['a@bad domain', undefined],
  ];
  for (const [v, want] of cases) assert.equal(addressDomain(v), want, v);
});
