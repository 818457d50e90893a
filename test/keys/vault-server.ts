import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A HashiCorp Vault-compatible KV v2 read endpoint on loopback: `GET /v1/<mount>/data/<path>`
 * with `X-Vault-Token`. Answers 403 for a wrong token and 404 for a missing secret, like Vault.
 */
export class FakeVault {
  readonly secrets = new Map<string, Record<string, string>>();
  requests = 0;
  private server?: Server;

  constructor(readonly token: string, readonly mount = 'secret') {}

  set(path: string, data: Record<string, string>): void {
    this.secrets.set(path, data);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.requests++;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-vault-token'] !== this.token) return send(403, { errors: ['permission denied'] });
      const prefix = `/v1/${this.mount}/data/`;
      const url = decodeURIComponent(req.url ?? '');
      if (req.method !== 'GET' || !url.startsWith(prefix)) return send(404, { errors: [] });
      const data = this.secrets.get(url.slice(prefix.length));
      if (!data) return send(404, { errors: [] });
      send(200, { request_id: 'x', lease_id: '', renewable: false, lease_duration: 0, data: { data, metadata: { version: 1 } } });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
