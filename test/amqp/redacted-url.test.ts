// The AMQP URL as logs and queue names show it: without its password, and never the raw text of
// something that is not a URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactedUrl } from '../../src/amqp/confirm-link.js';

test('the password is dropped, the user kept; a string that is not a URL is not echoed', () => {
  assert.equal(redactedUrl('amqp://kumo:s3cret@127.0.0.1:5672/vh'), 'amqp://kumo@127.0.0.1:5672/vh');
  assert.equal(redactedUrl('//kumo:s3cret@ no host'), '(invalid URL)');
});
