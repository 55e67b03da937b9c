/**
 * ServiceAccounts on a 3-voter cluster (real agents): every namespace gets a `default` account and
 * a token Secret; the token authenticates on every voter as
 * system:serviceaccount:<ns>:default with `edit` in its own namespace only; the kubelet's
 * NodeClient hands the same token to pods; deleting the Secret revokes it and a new one is made.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '../../../agent/src/api/errors.ts';
import { ApiClient } from '../../../agent/src/node/api-client.ts';
import { HttpNodeClient } from '../../../agent/src/node/http-node-client.ts';
import { readPemBundle } from '../../../agent/src/pki/files.ts';
import { type InProcessCluster, startInProcessCluster, until } from '../secrets/in-process-cluster.ts';

let cluster: InProcessCluster;

beforeAll(async () => {
  cluster = await startInProcessCluster('serviceaccounts');
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

interface TokenSecret {
  metadata: { name: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

/** The token of `namespace`'s default account, read as a user would (kubectl get secret). */
async function defaultToken(namespace: string): Promise<{ token: string; secret: string }> {
  return until(15_000, async () => {
    const sa = await cluster.call(
      0,
      cluster.adminToken,
      `/api/v1/namespaces/${namespace}/serviceaccounts/default`,
    );
    if (sa.status !== 200) return undefined;
    const list = await cluster.call(0, cluster.adminToken, `/api/v1/namespaces/${namespace}/secrets`);
    const secret = (list.json.items as TokenSecret[]).find(
      (s) =>
        s.type === 'kubernetes.io/service-account-token' &&
        s.metadata.annotations?.['kubernetes.io/service-account.uid'] === sa.json.metadata.uid,
    );
    const token = secret?.data?.token;
    return token && secret
      ? { token: Buffer.from(token, 'base64').toString(), secret: secret.metadata.name }
      : undefined;
  });
}

/** A pod bound to `node` that runs as `account` (the agents run no workloads here). */
async function boundPod(namespace: string, name: string, node: string, account: string): Promise<void> {
  const created = await cluster.call(0, cluster.adminToken, `/api/v1/namespaces/${namespace}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node,
        serviceAccountName: account,
        containers: [{ name: 'c', image: 'localhost/kedge/busybox:latest' }],
      },
    },
  });
  expect(created.status, created.text).toBe(201);
}

describe('ServiceAccount tokens', () => {
  it('the default account of a namespace may edit its own namespace and nothing else', async () => {
    const { token } = await defaultToken('default');
    for (const agent of [0, 1, 2]) {
      const own = await cluster.call(agent, token, '/api/v1/namespaces/default/configmaps');
      expect(own.status, own.text).toBe(200);
    }
    const created = await cluster.call(1, token, '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-a-pod' }, data: { a: '1' } },
    });
    expect(created.status, created.text).toBe(201);
    const other = await cluster.call(2, token, '/api/v1/namespaces/kube-system/configmaps');
    expect(other.status).toBe(403);
    expect(other.json.reason).toBe('Forbidden');
    expect(other.json.message).toContain('system:serviceaccount:default:default');
    const nodes = await cluster.call(0, token, '/api/v1/nodes');
    expect(nodes.status).toBe(403);
    const wrong = await cluster.call(0, `${token}x`, '/api/v1/namespaces/default/configmaps');
    expect(wrong.status).toBe(401);
  });

  it('a new namespace gets its own account, whose token is Forbidden elsewhere', async () => {
    const ns = await cluster.call(0, cluster.adminToken, '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    });
    expect(ns.status, ns.text).toBe(201);
    const { token } = await defaultToken('team-a');
    expect((await cluster.call(2, token, '/api/v1/namespaces/team-a/pods')).status).toBe(200);
    expect((await cluster.call(2, token, '/api/v1/namespaces/team-a/secrets')).status).toBe(200);
    const elsewhere = await cluster.call(2, token, '/api/v1/namespaces/default/secrets');
    expect(elsewhere.status).toBe(403);

    // The kubelet's NodeClient (node certificate) fetches the very same token for a pod.
    // A node may read the account only for a pod bound to it (the node authorizer).
    await boundPod('team-a', 'web-0', 'agent-2', 'default');
    const node = await readPemBundle(path.join(cluster.root, 'agent-2', 'pki'), 'node');
    const api = new ApiClient({
      upstreams: () => [cluster.agents[1]!.apiAddress],
      ca: cluster.caPem,
      cert: { cert: node.certPem, key: node.keyPem },
    });
    const forPod = await new HttpNodeClient(api).serviceAccountToken({
      namespace: 'team-a',
      serviceAccountName: 'default',
      podName: 'web-0',
      podUid: 'uid-web-0',
    });
    expect(forPod).toBe(token);
  });

  it('deleting the token Secret revokes the token and a new one is issued', async () => {
    const before = await defaultToken('default');
    const removed = await cluster.call(
      0,
      cluster.adminToken,
      `/api/v1/namespaces/default/secrets/${before.secret}`,
      {
        method: 'DELETE',
      },
    );
    expect(removed.status, removed.text).toBe(200);
    await until(5000, async () => {
      const r = await cluster.call(1, before.token, '/api/v1/namespaces/default/configmaps');
      return r.status === 401 ? true : undefined;
    });
    const after = await defaultToken('default');
    expect(after.token).not.toBe(before.token);
    expect((await cluster.call(2, after.token, '/api/v1/namespaces/default/configmaps')).status).toBe(200);
  });

  it('a named account that does not exist yields a NotFound for the pod, not a token', async () => {
    await boundPod('default', 'p', 'agent-1', 'nobody');
    const node = await readPemBundle(path.join(cluster.root, 'agent-1', 'pki'), 'node');
    const api = new ApiClient({
      upstreams: () => [cluster.agents[0]!.apiAddress],
      ca: cluster.caPem,
      cert: { cert: node.certPem, key: node.keyPem },
    });
    const missing = await new HttpNodeClient(api).serviceAccountToken({
      namespace: 'default',
      serviceAccountName: 'nobody',
      podName: 'p',
      podUid: 'u',
    });
    expect(missing).toBeInstanceOf(StatusError);
    expect((missing as StatusError).reason).toBe('NotFound');
  }, 15_000);
});
