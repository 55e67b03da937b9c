/**
 * A three-agent cluster in the test process, as the dashboard sees one: three API servers over
 * HTTPS on 127.0.0.1 sharing one object store (a stand-in for three replicas of the Raft store),
 * each serving the dashboard, a cluster-status document and the metrics API. The test plays the
 * control plane: `electLeader` changes who leads, `stopAgent` kills an agent's server.
 *
 * Until `kedge up` runs real agents in tests, the cluster-status document is the test's; its shape
 * is the agent's (agent/src/web/cluster-status-types.ts), and the CPU and memory figures are real
 * measurements of this machine (metrics/node-metrics.ts), reported for each agent since all three
 * run on it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import { apiAdmission } from '../../../agent/src/apiserver/api-admission.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';
import { type NodeSampler, startNodeSampler } from '../../../agent/src/metrics/node-sampler.ts';
import { createClusterCa, issueServerCertificate, loadCa } from '../../../agent/src/pki/index.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';
import type { ClusterMember, ClusterStatus } from '../../../agent/src/web/cluster-status-types.ts';
import { agentOrigins } from '../../../agent/src/web/cors-policy.ts';
import { mountDashboard, type RequestListener } from '../../../agent/src/web/dashboard-handler.ts';
import type { NodeMetricsList } from '../../../agent/src/web/node-metrics-types.ts';
import { type DashboardAssets, loadDashboardAssets } from '../../../agent/src/web/static-assets.ts';

export interface TestAgent {
  readonly id: number;
  readonly name: string;
  readonly role: 'voter' | 'worker';
  readonly api: ApiServer;
  address: string;
  alive: boolean;
}

export interface DashboardCluster {
  readonly agents: readonly TestAgent[];
  readonly store: ObjectStore;
  readonly adminToken: string;
  readonly caPem: string;
  /** The SPKI hash of the serving key, for Chromium's --ignore-certificate-errors-spki-list. */
  readonly spkiSha256: string;
  url(agent: TestAgent): string;
  /** leaderId 0: an election is running in `term`. */
  electLeader(leaderId: number, term: number): void;
  stopAgent(agent: TestAgent): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboardCluster(tmpDir: string): Promise<DashboardCluster> {
  const caBundle = await createClusterCa();
  const serving = await issueServerCertificate(await loadCa(caBundle), {
    commonName: 'kedge-agent',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const store = new ObjectStore();
  const authenticator = new TokenAuthenticator();
  const adminToken = authenticator.issue({
    name: 'admin',
    groups: ['system:authenticated', 'system:masters'],
  }).token;
  const authorizer = new RoleAuthorizer([{ role: 'cluster-admin', user: 'admin' }]);
  const assets: DashboardAssets = await loadDashboardAssets();
  const samplerStop = new AbortController();
  const sampler: NodeSampler = startNodeSampler({
    dataDir: tmpDir,
    intervalMs: 1000,
    signal: samplerStop.signal,
  });
  await sampler.ready();

  let term = 1;
  let leader = 1;
  const specs = [
    { id: 1, name: 'edge-a', role: 'voter' as const },
    { id: 2, name: 'edge-b', role: 'voter' as const },
    { id: 3, name: 'edge-c', role: 'worker' as const },
  ];
  const agents: TestAgent[] = [];
  for (const spec of specs) {
    const api = createApiServer({
      backend: new LocalBackend(store),
      resources: RESOURCES,
      authenticator,
      authorizer,
      admission: apiAdmission,
      version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
      tls: { cert: serving.certPem, key: serving.keyPem },
    });
    agents.push({ ...spec, api, address: '', alive: true });
  }

  const clusterStatus = (): ClusterStatus => ({
    clusterId: 'test-cluster',
    desiredVoters: 2,
    term,
    leader,
    members: agents.map(
      (a): ClusterMember => ({
        id: a.id,
        name: a.name,
        role: a.role,
        apiAddress: a.address,
        raftAddress: a.role === 'voter' ? a.address.replace(/:\d+$/, ':0') : '',
        joinedAt: '2026-01-01T00:00:00Z',
        health: a.alive ? 'healthy' : 'unreachable (connect ECONNREFUSED)',
        ...(a.alive
          ? {
              status: {
                id: a.id,
                name: a.name,
                role: a.role === 'worker' ? 'worker' : a.id === leader ? 'leader' : 'candidate',
                raftState:
                  a.role === 'worker'
                    ? ''
                    : a.id === leader
                      ? 'leader'
                      : leader === 0
                        ? 'candidate'
                        : 'follower',
                term: a.role === 'worker' ? 0 : term,
                leader,
                commit: Number(store.revision ?? 0),
                applied: Number(store.revision ?? 0),
                apiAddress: a.address,
                leaderComponents: a.id === leader ? ['scheduler', 'controllers'] : [],
                uptimeSeconds: 60,
              },
            }
          : {}),
      }),
    ),
  });

  const nodeMetrics = (): NodeMetricsList => {
    const s = sampler.latest();
    return {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetricsList',
      metadata: {},
      items: s
        ? agents.map((a) => ({
            metadata: { name: a.name },
            timestamp: s.timestamp.toISOString(),
            window: '1s',
            usage: {
              cpu: `${Math.round(s.cpuUsageCores * 1000)}m`,
              memory: `${Math.floor(s.memoryWorkingSetBytes / 1024)}Ki`,
            },
          }))
        : [],
    };
  };

  for (const agent of agents) {
    const { port } = await agent.api.listen(0, '127.0.0.1');
    agent.address = `127.0.0.1:${port}`;
  }
  for (const agent of agents) {
    // The agent's own routes in front of the API (as cluster/agent.ts puts /kedge/v1 there), then
    // the dashboard in front of everything.
    const server = agent.api.server;
    const [api] = server.listeners('request') as RequestListener[];
    if (api === undefined) throw new Error('the API server has no request listener');
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/kedge/v1/cluster' || path === '/apis/metrics.k8s.io/v1beta1/nodes') {
        if (authenticator.authenticate(req.headers.authorization) === undefined)
          return json(res, 401, {
            kind: 'Status',
            code: 401,
            reason: 'Unauthorized',
            message: 'Unauthorized',
          });
        return json(res, 200, path === '/kedge/v1/cluster' ? clusterStatus() : nodeMetrics());
      }
      api(req, res);
    });
    mountDashboard(server, { assets, allowedOrigins: agentOrigins(() => agents.map((a) => a.address)) });
  }

  // Node objects, as each agent's kubelet would register them, sized by this machine.
  const sample = sampler.latest();
  const backend = new LocalBackend(store);
  for (const agent of agents) {
    await backend.create({
      op: 'create',
      group: '',
      resource: 'nodes',
      uid: `node-${agent.id}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      object: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: agent.name },
        spec: {},
        status: {
          capacity: {
            cpu: String(sample?.cpuCores ?? 1),
            memory: `${Math.floor((sample?.memoryTotalBytes ?? 0) / 1024)}Ki`,
            pods: '110',
          },
          allocatable: {
            cpu: String(sample?.cpuCores ?? 1),
            memory: `${Math.floor((sample?.memoryTotalBytes ?? 0) / 1024)}Ki`,
            pods: '110',
          },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        },
      } as never,
    });
  }
  await backend.create({
    op: 'create',
    group: '',
    resource: 'namespaces',
    uid: 'ns-default',
    creationTimestamp: '2026-01-01T00:00:00Z',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  });

  return {
    agents,
    store,
    adminToken,
    caPem: caBundle.certPem,
    spkiSha256: await spkiHash(serving.certPem),
    url: (agent) => `https://${agent.address}/dashboard/`,
    electLeader(nextLeader, nextTerm) {
      leader = nextLeader;
      term = nextTerm;
    },
    async stopAgent(agent) {
      agent.alive = false;
      await agent.api.close();
    },
    async close() {
      samplerStop.abort();
      for (const agent of agents) if (agent.alive) await agent.api.close();
    },
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** base64(sha256(SubjectPublicKeyInfo)) of a certificate, as Chromium's SPKI allowlist wants it. */
async function spkiHash(certPem: string): Promise<string> {
  const { X509Certificate, createHash } = await import('node:crypto');
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
