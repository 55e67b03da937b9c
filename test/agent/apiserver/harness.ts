import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import { apiAdmission } from '../../../agent/src/apiserver/api-admission.ts';
import type { WatchLimits } from '../../../agent/src/apiserver/handlers/watch.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';

export interface Harness {
  readonly api: ApiServer;
  readonly store: ObjectStore;
  readonly port: number;
  readonly adminToken: string;
  readonly viewToken: string;
  readonly call: (method: string, path: string, options?: CallOptions) => Promise<Reply>;
  close(): Promise<void>;
}

export interface CallOptions {
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
  /** A TLS client certificate to present (HTTPS harness only). */
  readonly clientCert?: { readonly cert: string; readonly key: string };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read replies by path
  readonly json: any;
}

/** An API server on 127.0.0.1 over a fresh single-node store, with an admin and a viewer token. */
export async function startHarness(
  options: {
    tls?: { cert: string; key: string; ca: string; clientCa?: string };
    historyCapacity?: number;
    watchLimits?: WatchLimits;
  } = {},
): Promise<Harness> {
  const store = new ObjectStore(options.historyCapacity ? { historyCapacity: options.historyCapacity } : {});
  const backend = new LocalBackend(store);
  await backend.create({
    op: 'create',
    group: '',
    resource: 'namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    uid: 'ns-default',
    creationTimestamp: '2026-01-01T00:00:00Z',
  });
  const authenticator = new TokenAuthenticator();
  const adminToken = authenticator.issue({ name: 'admin', groups: ['system:authenticated'] }).token;
  const viewToken = authenticator.issue({ name: 'viewer', groups: ['system:authenticated'] }).token;
  const authorizer = new RoleAuthorizer([
    { role: 'cluster-admin', user: 'admin' },
    { role: 'view', user: 'viewer' },
  ]);
  const api = createApiServer({
    backend,
    resources: RESOURCES,
    authenticator,
    authorizer,
    admission: apiAdmission,
    version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
    ...(options.tls ? { tls: options.tls } : {}),
    requestTimeoutMs: 5_000,
    ...(options.watchLimits ? { watchLimits: options.watchLimits } : {}),
  });
  const { port } = await api.listen(0, '127.0.0.1');
  const call = (method: string, path: string, o: CallOptions = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      const headers: Record<string, string> = {
        Accept: 'application/json',
        ...(payload !== undefined
          ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }
          : {}),
        ...(o.token === null ? {} : { Authorization: `Bearer ${o.token ?? adminToken}` }),
        ...o.headers,
      };
      const send = options.tls ? httpsRequest : httpRequest;
      const req = send(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers,
          ...(options.tls ? { ca: options.tls.ca, agent: false } : {}),
          ...(o.clientCert ? { cert: o.clientCert.cert, key: o.clientCert.key } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined; // not JSON (a watch stream is read line by line by its test)
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return { api, store, port, adminToken, viewToken, call, close: () => api.close() };
}

export const deployment = (name: string, replicas = 2, image = 'nginx:1.25') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] },
    },
  },
});

/** The default namespace's Deployments collection, the resource most server tests write. */
export const deploymentsPath = '/apis/apps/v1/namespaces/default/deployments';

/** The Accept header kubectl get sends: a Table (v1, then v1beta1), else plain JSON. */
export const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
