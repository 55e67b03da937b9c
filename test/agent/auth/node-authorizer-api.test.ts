/** The node rules behind a real API server (HTTP on 127.0.0.1, in-memory store). */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import { apiAdmission } from '../../../agent/src/apiserver/api-admission.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { nodeAuthorizer } from '../../../agent/src/auth/node-authorizer.ts';
import { storeRelations } from '../../../agent/src/auth/node-relations.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';

let api: ApiServer;
let port = 0;
const tokens = new TokenAuthenticator();
const admin = tokens.issue({ name: 'admin', groups: ['system:masters'] }).token;
const nodeA = tokens.issue({ name: 'system:node:a', groups: ['system:nodes'] }).token;

const call = (
  token: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: replies are read by path
): Promise<{ status: number; json: any }> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

const secret = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData: { k: 'v' },
});
const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
const podOn = (name: string, nodeName: string, secretName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    nodeName,
    containers: [{ name: 'c', image: 'busybox' }],
    volumes: [{ name: 's', secret: { secretName } }],
  },
});

beforeAll(async () => {
  const store = new ObjectStore();
  const backend = new LocalBackend(store);
  await backend.create({
    op: 'create',
    group: '',
    resource: 'namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    uid: 'ns-default',
    creationTimestamp: '2026-01-01T00:00:00Z',
  });
  api = createApiServer({
    backend,
    resources: RESOURCES,
    authenticator: tokens,
    authorizer: nodeAuthorizer({
      inner: new RoleAuthorizer([]),
      memberName: () => undefined,
      relations: storeRelations(() => store),
      secretListsForIngress: false,
    }),
    admission: apiAdmission,
    version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
    requestTimeoutMs: 5_000,
  });
  ({ port } = await api.listen(0, '127.0.0.1'));
  for (const [path, body] of [
    ['/api/v1/nodes', node('a')],
    ['/api/v1/nodes', node('b')],
    ['/api/v1/namespaces/default/secrets', secret('only-a')],
    ['/api/v1/namespaces/default/secrets', secret('only-b')],
    ['/api/v1/namespaces/default/pods', podOn('pod-a', 'a', 'only-a')],
    ['/api/v1/namespaces/default/pods', podOn('pod-b', 'b', 'only-b')],
  ] as const) {
    expect((await call(admin, 'POST', path, body)).status).toBe(201);
  }
});

afterAll(async () => {
  await api?.close();
});

describe('a node over the API', () => {
  it('reads the Secret its own pod uses, not one only used by pods on another node', async () => {
    expect((await call(nodeA, 'GET', '/api/v1/namespaces/default/secrets/only-a')).status).toBe(200);
    const denied = await call(nodeA, 'GET', '/api/v1/namespaces/default/secrets/only-b');
    expect(denied.status).toBe(403);
    expect(denied.json.message).toContain("no relationship found between node 'a' and this object");
    expect((await call(nodeA, 'GET', '/api/v1/namespaces/default/secrets')).status).toBe(403);
  });

  it('cannot modify another node', async () => {
    const b = (await call(admin, 'GET', '/api/v1/nodes/b')).json;
    const denied = await call(nodeA, 'PUT', '/api/v1/nodes/b/status', b);
    expect(denied.status).toBe(403);
    expect(denied.json.message).toBe('nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
    expect((await call(nodeA, 'DELETE', '/api/v1/nodes/b')).status).toBe(403);
  });

  it("cannot change a pod's spec, nor another node's pods", async () => {
    const podA = (await call(nodeA, 'GET', '/api/v1/namespaces/default/pods/pod-a')).json;
    const edited = { ...podA, spec: { ...podA.spec, containers: [{ name: 'c', image: 'evil' }] } };
    expect((await call(nodeA, 'PUT', '/api/v1/namespaces/default/pods/pod-a', edited)).status).toBe(403);
    const podB = (await call(admin, 'GET', '/api/v1/namespaces/default/pods/pod-b')).json;
    expect((await call(nodeA, 'PUT', '/api/v1/namespaces/default/pods/pod-b/status', podB)).status).toBe(403);
    expect((await call(nodeA, 'DELETE', '/api/v1/namespaces/default/pods/pod-b')).status).toBe(403);
    expect(
      (await call(nodeA, 'POST', '/api/v1/namespaces/default/pods', podOn('x', 'a', 'only-a'))).status,
    ).toBe(403);
    expect((await call(nodeA, 'POST', '/api/v1/namespaces/default/secrets', secret('new'))).status).toBe(403);
  });

  it('does its normal work: its pods, their status, its Node, its Lease, events, deletion', async () => {
    expect(
      (await call(nodeA, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Da')).json.items,
    ).toHaveLength(1);
    const podA = (await call(nodeA, 'GET', '/api/v1/namespaces/default/pods/pod-a')).json;
    const running = { ...podA, status: { ...podA.status, phase: 'Running' } };
    expect((await call(nodeA, 'PUT', '/api/v1/namespaces/default/pods/pod-a/status', running)).status).toBe(
      200,
    );
    const a = (await call(nodeA, 'GET', '/api/v1/nodes/a')).json;
    const ready = { ...a, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect((await call(nodeA, 'PUT', '/api/v1/nodes/a/status', ready)).status).toBe(200);
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect(
      (await call(admin, 'POST', '/api/v1/namespaces', { metadata: { name: 'kube-node-lease' } })).status,
    ).toBe(201);
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'a' },
      spec: { holderIdentity: 'a' },
    };
    expect((await call(nodeA, 'POST', leases, lease)).status).toBe(201);
    const held = (await call(nodeA, 'GET', `${leases}/a`)).json;
    expect((await call(nodeA, 'PUT', `${leases}/a`, held)).status).toBe(200);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'pod-a.started' },
      involvedObject: { kind: 'Pod', name: 'pod-a', namespace: 'default' },
      reason: 'Started',
      message: 'started',
    };
    expect((await call(nodeA, 'POST', '/api/v1/namespaces/default/events', event)).status).toBe(201);
    expect((await call(nodeA, 'DELETE', '/api/v1/namespaces/default/pods/pod-a')).status).toBe(200);
  });
});
