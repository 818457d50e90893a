import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { test } from 'node:test';
import { startSink } from '../../src/sink/sink.js';
import { SmtpClient } from '../smtp/helpers.js';

test('sink --starttls serves a freshly generated certificate for its name, not an expired built-in one', async () => {
  const sink = await startSink({ starttls: true, name: 'sink.deploy.test' });
  try {
    const c = await SmtpClient.connect(sink.port);
    const caps = await c.hello();
    assert.ok(caps.includes('STARTTLS'), caps.join(','));
    await c.starttls('sink.deploy.test');
    const cert = (c.socket as TLSSocket).getPeerX509Certificate();
    assert.ok(cert, 'a peer certificate');
    const now = Date.now();
    assert.ok(new Date(cert.validFrom).getTime() <= now && now < new Date(cert.validTo).getTime(), `valid now: ${cert.validFrom} .. ${cert.validTo}`);
    assert.ok(cert.checkHost('sink.deploy.test'), cert.subject);
    await c.quit();
  } finally {
    await sink.close();
  }
});
