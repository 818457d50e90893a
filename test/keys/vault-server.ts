import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  data: Record<string, string>;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

/**
 * A HashiCorp Vault-compatible KV v2 read endpoint on loopback: `GET /v1/<mount>/data/<path>`
 * with `X-Vault-Token`, answering as Vault does:
 * - 403 `{"errors":["permission denied"]}` for a token that is not valid (in the namespace asked for);
 * - 404 `{"errors":[]}` for a missing secret;
 * - namespaces (Vault Enterprise): `X-Vault-Namespace: ns1/` (or the `/v1/ns1/<mount>/...` path
 *   form) selects the namespace; secrets and tokens belong to one namespace each ('' = root);
 * - sealed: 503 `{"errors":["Vault is sealed"]}` for every request;
 * - a fault: the next requests answer a given 5xx status with `{"errors":[...]}`;
 * - a raw answer: the next request gets a given status and body as is (a proxy's HTML page);
 * - versions: `set` writes a new version; `deleteLatest` / `destroyLatest` make a read of the
 *   current version answer 404 with `data: {data: null, metadata: {deletion_time, destroyed, version}}`.
 */
export class FakeVault {
  /** namespace → path → versions (oldest first) */
  private readonly store = new Map<string, Map<string, Version[]>>();
  /** token → namespace it is valid in */
  private readonly tokens = new Map<string, string>();
  /** the namespace each request asked for ('' = none), in order */
  readonly seenNamespaces: string[] = [];
  requests = 0;
  sealed = false;
  private fault?: { status: number; errors: string[]; remaining: number };
  private raw?: { status: number; body: string; type: string };
  private server?: Server;

  constructor(readonly token: string, readonly mount = 'secret') {
    this.tokens.set(token, '');
  }

  /** The latest versions' data of the root namespace (what tests set with `set`). */
  get secrets(): Map<string, Record<string, string>> {
    const out = new Map<string, Record<string, string>>();
    for (const [p, v] of this.store.get('') ?? []) out.set(p, v[v.length - 1].data);
    return out;
  }

  /** Writes a new version of the secret at `path` (in `namespace`, default the root). */
  set(path: string, data: Record<string, string>, namespace = ''): void {
    const ns = norm(namespace);
    const m = this.store.get(ns) ?? new Map<string, Version[]>();
    this.store.set(ns, m);
    const versions = m.get(path) ?? [];
    versions.push({ data, created_time: new Date().toISOString(), deletion_time: '', destroyed: false });
    m.set(path, versions);
  }

  /** A token valid only in `namespace`. */
  addToken(token: string, namespace: string): void {
    this.tokens.set(token, norm(namespace));
  }

  /** Soft-deletes the current version (KV v2 `vault kv delete`). */
  deleteLatest(path: string, namespace = ''): void {
    this.latest(path, namespace).deletion_time = new Date().toISOString();
  }

  /** Destroys the current version (KV v2 `vault kv destroy`). */
  destroyLatest(path: string, namespace = ''): void {
    const v = this.latest(path, namespace);
    v.destroyed = true;
    v.data = {};
  }

  /** The next `count` requests fail with `status` and `errors`, as a Vault in trouble answers. */
  failNext(status: number, errors: string[], count = 1): void {
    this.fault = { status, errors, remaining: count };
  }

  /** The next request is answered `status` with `body` as is (what a proxy in front of Vault may send). */
  answerNext(status: number, body: string, type = 'text/html'): void {
    this.raw = { status, body, type };
  }

  private latest(path: string, namespace: string): Version {
    const v = this.store.get(norm(namespace))?.get(path);
    if (!v?.length) throw new Error(`no secret ${path} in namespace "${namespace}"`);
    return v[v.length - 1];
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.requests++;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (this.raw) {
        const { status, body, type } = this.raw;
        this.raw = undefined;
        res.writeHead(status, { 'content-type': type });
        return void res.end(body);
      }
      if (this.sealed) return send(503, { errors: ['Vault is sealed'] });
      if (this.fault && this.fault.remaining-- > 0) return send(this.fault.status, { errors: this.fault.errors });
      let url = decodeURIComponent((req.url ?? '').split('?')[0]);
      let ns = norm(String(req.headers['x-vault-namespace'] ?? ''));
      // the path form of a namespace: /v1/<ns>/<mount>/data/...
      for (const known of this.store.keys()) {
        if (known && url.startsWith(`/v1/${known}/${this.mount}/`)) {
          ns = ns ? `${ns}/${known}` : known;
          url = `/v1/${url.slice(`/v1/${known}/`.length)}`;
          break;
        }
      }
      this.seenNamespaces.push(ns);
      const tokenNs = this.tokens.get(String(req.headers['x-vault-token'] ?? ''));
      if (tokenNs === undefined || tokenNs !== ns) return send(403, { errors: ['permission denied'] });
      const prefix = `/v1/${this.mount}/data/`;
      if (req.method !== 'GET' || !url.startsWith(prefix)) return send(404, { errors: [] });
      const versions = this.store.get(ns)?.get(url.slice(prefix.length));
      if (!versions?.length) return send(404, { errors: [] });
      const v = versions[versions.length - 1];
      const metadata = { created_time: v.created_time, custom_metadata: null, deletion_time: v.deletion_time, destroyed: v.destroyed, version: versions.length };
      const envelope = { request_id: 'x', lease_id: '', renewable: false, lease_duration: 0, wrap_info: null, warnings: null, auth: null };
      if (v.deletion_time || v.destroyed) return send(404, { ...envelope, data: { data: null, metadata } });
      send(200, { ...envelope, data: { data: v.data, metadata } });
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

function norm(ns: string): string {
  return ns.replace(/^\/+|\/+$/g, '');
}
