import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import { apiAdmission } from '../../../agent/src/apiserver/api-admission.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';
import { NodePortAllocator } from '../../../agent/src/control/node-port-allocator.ts';
import { ServiceAddressBackend } from '../../../agent/src/control/service-address-backend.ts';
import { LeaderAddressBook } from '../../../agent/src/control/service-address-leader.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read replies by path
  json: any;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An API server whose backend hands out Service addresses from a book that leads while `lead` is not aborted. */
async function startApi(store = new ObjectStore()) {
  const inner = new LocalBackend(store);
  if ((await inner.list({ group: '', resource: 'namespaces' }, {})).items.length === 0)
    await inner.create({
      op: 'create',
      group: '',
      resource: 'namespaces',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
      uid: 'ns-default',
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
  const book = new LeaderAddressBook({ log: () => {} });
  const lead = new AbortController();
  const running = book.component().run({ backend: inner }, lead.signal);
  const authenticator = new TokenAuthenticator();
  const token = authenticator.issue({ name: 'admin', groups: ['system:authenticated'] }).token;
  const api: ApiServer = createApiServer({
    backend: new ServiceAddressBackend(inner, book),
    resources: RESOURCES,
    authenticator,
    authorizer: new RoleAuthorizer([{ role: 'cluster-admin', user: 'admin' }]),
    admission: apiAdmission,
    version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
  });
  const { port } = await api.listen(0, '127.0.0.1');
  const stop = async () => {
    lead.abort();
    await running;
    await api.close();
  };
  cleanups.push(stop);
  const call = (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(payload ? { 'Content-Type': 'application/json' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { call, store, lead, book };
}

const SERVICES = '/api/v1/namespaces/default/services';
const service = (name: string, spec: object) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

describe('Service addresses in the API write path', () => {
  it('gives each Service its own ClusterIP from the range, and NodePorts to NodePort Services', async () => {
    const { call } = await startApi();
    const a = await call('POST', SERVICES, service('a', {}));
    const b = await call('POST', SERVICES, service('b', { type: 'NodePort' }));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.json.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(a.json.spec.clusterIPs).toEqual([a.json.spec.clusterIP]);
    expect(b.json.spec.clusterIP).not.toBe(a.json.spec.clusterIP);
    expect(b.json.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(b.json.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    expect(a.json.spec.ports[0].nodePort).toBeUndefined();
    // Stored as granted.
    const got = await call('GET', `${SERVICES}/a`);
    expect(got.json.spec.clusterIP).toBe(a.json.spec.clusterIP);
  });

  it('refuses a requested address that is taken, and hands it out again once its Service is deleted', async () => {
    const { call } = await startApi();
    expect(
      (await call('POST', SERVICES, service('dns', { clusterIP: '10.96.0.10' }))).json.spec.clusterIP,
    ).toBe('10.96.0.10');
    const clash = await call('POST', SERVICES, service('other', { clusterIP: '10.96.0.10' }));
    expect(clash.status).toBe(422);
    expect(clash.json.reason).toBe('Invalid');
    expect(clash.json.message).toContain('provided IP is already allocated');
    const outside = await call('POST', SERVICES, service('far', { clusterIP: '192.168.1.1' }));
    expect(outside.status).toBe(422);
    expect(outside.json.message).toContain('not in the valid range');
    expect((await call('DELETE', `${SERVICES}/dns`)).status).toBe(200);
    const again = await call('POST', SERVICES, service('other', { clusterIP: '10.96.0.10' }));
    expect(again.status).toBe(201);
  });

  it('refuses a NodePort that another Service holds, and leaves nothing held by a refused create', async () => {
    const { call } = await startApi();
    const first = await call(
      'POST',
      SERVICES,
      service('first', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
    );
    expect(first.json.spec.ports[0].nodePort).toBe(30080);
    const clash = await call(
      'POST',
      SERVICES,
      service('second', {
        type: 'NodePort',
        clusterIP: '10.96.0.20',
        ports: [{ port: 80, nodePort: 30080 }],
      }),
    );
    expect(clash.status).toBe(422);
    expect(clash.json.message).toContain('provided port is already allocated');
    // The refused create did not keep 10.96.0.20.
    expect((await call('POST', SERVICES, service('third', { clusterIP: '10.96.0.20' }))).status).toBe(201);
  });

  it('allocates nothing for headless and ExternalName Services', async () => {
    const { call } = await startApi();
    const headless = await call('POST', SERVICES, service('h', { clusterIP: 'None' }));
    expect(headless.json.spec.clusterIP).toBe('None');
    const external = await call('POST', SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.org' },
    });
    expect(external.status).toBe(201);
    expect(external.json.spec.clusterIP).toBeUndefined();
  });

  it('a new leader rebuilds the book from the stored Services', async () => {
    const first = await startApi();
    const held = await first.call('POST', SERVICES, service('kept', { type: 'NodePort' }));
    first.lead.abort();
    // Not leading: nothing is handed out (a follower would ask the leader).
    const refused = await first.call('POST', SERVICES, service('meanwhile', {}));
    expect(refused.status).toBe(503);
    const second = await startApi(first.store);
    const clash = await second.call(
      'POST',
      SERVICES,
      service('copy', { clusterIP: held.json.spec.clusterIP }),
    );
    expect(clash.status).toBe(422);
    const port = await second.call(
      'POST',
      SERVICES,
      service('port', {
        type: 'NodePort',
        ports: [{ port: 80, nodePort: held.json.spec.ports[0].nodePort }],
      }),
    );
    expect(port.status).toBe(422);
  });
});

describe('NodePortAllocator', () => {
  it('goes round the range without handing out a held port, and lets one Service reuse its own', () => {
    const ports = new NodePortAllocator({ first: 30000, last: 30002 });
    expect(ports.allocate('a')).toBe(30000);
    expect(ports.allocate('b', 30002)).toBe(30002);
    expect(ports.allocate('c')).toBe(30001);
    expect(ports.allocate('d')).toMatchObject({ kind: 'Exhausted' });
    expect(ports.allocate('a', 30000)).toBe(30000);
    ports.release('a');
    expect(ports.allocate('d')).toBe(30000);
  });
});
