import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { forwardUpgrades } from '../apiserver/streaming/upgrade-forwarder.ts';
import { routeUpgrades } from '../apiserver/streaming/upgrade-tunnel.ts';
import type { Identity } from '../auth/tokens.ts';
import { type NodeComponents, startNodeComponents } from '../node/node-agent.ts';
import { agentOrigins, loadDashboardAssets, mountDashboard } from '../web/index.ts';
/** What leader components get: the API's backend (every write a Raft proposal) and the state. */
import type { AgentOptions, RunningAgent } from './agent.ts';
import { callAgent } from './agent-client.ts';
import { loadCredentials } from './agent-credentials.ts';
import { createApiForwarder } from './api-forwarder.ts';
import { type NodeStatus, serveClusterEndpoint, votersOf } from './cluster-endpoint.ts';
import type { RegistryState } from './cluster-registry.ts';
import { apiAddressOf, type NodeIdentity, writeIdentity } from './data-dir.ts';
import { watchForVoterDesignation } from './voter-designation.ts';

export async function startWorker(
  options: AgentOptions,
  initial: NodeIdentity,
  logger: Logger,
): Promise<RunningAgent> {
  const started = Date.now();
  let identity = initial;
  const { caPem, nodeCert } = await loadCredentials(options.dataDir);
  let upstreams = identity.voters.map((v) => v.apiAddress);
  const forward = createApiForwarder({ upstreams: () => upstreams, ca: caPem, logger });
  const nodeStatus = (): NodeStatus => ({
    id: identity.nodeId,
    name: identity.name,
    role: 'worker',
    raftState: '',
    term: 0,
    leader: 0,
    commit: 0,
    applied: 0,
    apiAddress: apiAddressOf(identity),
    leaderComponents: [],
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  });
  const endpoint = {
    identity: () => identity,
    caPem,
    nodeCert,
    // A worker holds no users: it authenticates nothing itself and forwards instead.
    authenticate: (): Identity | undefined => undefined,
    nodeStatus,
    logger,
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
    stopNodeComponents: async () => {
      const stopping = node;
      node = undefined;
      await stopping?.stop();
    },
  };
  let node: NodeComponents | undefined;
  const server: Server = createHttpsServer(
    { cert: nodeCert.cert, key: nodeCert.key, ca: caPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      // This node's own endpoints (node/node-routes.ts) are answered here.
      if (node?.routes(req, res)) return;
      // The CA, and this worker's own status for a member aggregating the cluster's; the rest
      // (the Kubernetes API, /kedge/v1/cluster, joins) is a voter's to answer.
      if (
        req.url === '/kedge/v1/ca' ||
        req.url === '/kedge/v1/leave' ||
        (req.url === '/kedge/v1/node' && isNodeClient(req))
      ) {
        serveClusterEndpoint(endpoint, req, res);
      } else forward(req, res);
    },
  );
  // Streams (kubectl exec): this node's own endpoint, else through a voter, which authorises.
  server.on(
    'upgrade',
    routeUpgrades([
      (req, socket, head) => node?.upgrades(req, socket, head) ?? false,
      forwardUpgrades(() => upstreams, caPem),
    ]),
  );
  mountDashboard(server, {
    assets: await loadDashboardAssets(),
    allowedOrigins: agentOrigins(() => upstreams),
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(identity.apiPort, identity.advertise, () => resolve());
  });
  if (options.workloads !== false) {
    node = await startNodeComponents({
      nodeName: identity.name,
      address: identity.advertise,
      apiPort: identity.apiPort,
      dataDir: options.dataDir,
      caPem,
      nodeCert,
      // The node speaks to the voters itself: its own forwarder would drop its certificate.
      apiUpstreams: () => upstreams,
      logger,
    });
  }
  logger.info('agent serving', {
    id: identity.nodeId,
    role: 'worker',
    api: apiAddressOf(identity),
    voters: upstreams,
  });

  // Voters change (joins, replacements): keep the forwarding list current.
  const refresh = setInterval(() => {
    void (async () => {
      for (const address of upstreams) {
        try {
          const reply = await callAgent(address, '/kedge/v1/members', {
            ca: caPem,
            clientCert: nodeCert,
            timeoutMs: 1000,
          });
          if (reply.status !== 200) continue;
          const voters = votersOf((reply.json as Pick<RegistryState, 'members'>).members);
          const next = voters.map((v) => v.apiAddress);
          if (next.length > 0 && next.join(',') !== upstreams.join(',')) {
            upstreams = next;
            identity = { ...identity, voters };
            await writeIdentity(options.dataDir, identity);
            logger.info('voters changed', { voters: next });
          }
          return;
        } catch (error) {
          logger.debug('voter did not answer the members refresh', {
            address,
            error: (error as Error).message,
          });
        }
      }
    })();
  }, 5000);

  // The autopilot may make this worker a voter (voter-designation.ts).
  const designationWatch = options.lifecycle
    ? watchForVoterDesignation({
        dataDir: options.dataDir,
        identity: () => identity,
        voterAddresses: () => upstreams,
        caPem,
        nodeCert,
        lifecycle: options.lifecycle,
        logger,
      })
    : undefined;

  return {
    identity,
    apiAddress: apiAddressOf(identity),
    status: nodeStatus,
    async stop() {
      designationWatch?.stop();
      clearInterval(refresh);
      await node?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function isNodeClient(req: IncomingMessage): boolean {
  const socket = req.socket as IncomingMessage['socket'] & { authorized?: boolean };
  return socket.authorized === true;
}
