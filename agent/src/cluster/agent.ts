/**
 * One agent process, from its data directory (data-dir.ts) to a serving member of the cluster.
 *
 *   voter:  TLS Raft transport (CN=node-<id>) -> RaftNode over ReplicatedState (store + registry)
 *           -> ReplicatedBackend -> API server over HTTPS (+ /kedge/v1 on the same port)
 *           -> role events: leader -> leader components start; anything else -> they abort
 *           -> joined voter: learner until caught up, then asks the leader to promote it
 *   worker: no replica: HTTPS endpoint that forwards every request to a voter (api-forwarder.ts),
 *           refreshing the voters' addresses from /kedge/v1/members
 */
import { readFile } from 'node:fs/promises';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, stderrLogger } from '../../../consensus/src/node/logger.ts';
import { createRaftNode, type RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { createTcpTransport } from '../../../consensus/src/transport/tcp-transport.ts';
import { RESOURCES } from '../api/registry.ts';
import type { Pod } from '../api/types/pod.ts';
import { apiAdmission } from '../apiserver/api-admission.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import { type ApiServer, createApiServer } from '../apiserver/server.ts';
import {
  type ExecProxyDeps,
  podStreamUpgrades,
  podStreamWithoutUpgrade,
} from '../apiserver/streaming/pod-stream-proxy.ts';
import { routeUpgrades, type UpgradeHandler } from '../apiserver/streaming/upgrade-tunnel.ts';
import { RoleAuthorizer } from '../auth/authorizer.ts';
import { nodeAuthorizer } from '../auth/node-authorizer.ts';
import { PodsByNode, storeRelations } from '../auth/node-relations.ts';
import { type SecretLike, unsealSecret } from '../auth/sealed-secret.ts';
import { type Identity, TokenAuthenticator } from '../auth/tokens.ts';
import { agentProbeHealth } from '../control/agent-probe-health.ts';
import { clusterMetricsSource } from '../control/cluster-metrics-source.ts';
import { combinedHealth, HealthSlot } from '../control/combined-health.ts';
import { controlPlaneComponents } from '../control/control-plane.ts';
import { ServiceAddressBackend } from '../control/service-address-backend.ts';
import {
  clusterGrantor,
  LeaderAddressBook,
  serviceAddressRoutes,
} from '../control/service-address-leader.ts';
import { clusterRoutes, METRICS_RESOURCES } from '../node/cluster-routes.ts';
import { type NodeComponents, startNodeComponents } from '../node/node-agent.ts';
import type { RouteHandler } from '../node/node-routes.ts';
import { loadCa } from '../pki/certificate-authority.ts';
import { readPemBundle } from '../pki/files.ts';
import { serviceAccountComponent } from '../serviceaccounts/service-account-controllers.ts';
import { ServiceAccountTokenAuthenticator } from '../serviceaccounts/token-authenticator.ts';
import type { ObjectKey } from '../store/keys.ts';
import { type DatastoreConfig, openDatastore } from '../store-etcd/datastore.ts';
import { agentOrigins, loadDashboardAssets, mountDashboard } from '../web/index.ts';
import { callAgent } from './agent-client.ts';
import { loadCredentials } from './agent-credentials.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { autopilotComponent, workerStatusProbe } from './autopilot.ts';
import {
  CLUSTER_PATH_PREFIX,
  type NodeStatus,
  serveClusterEndpoint,
  type VoterControl,
  votersOf,
} from './cluster-endpoint.ts';
import {
  apiAddressOf,
  dataPaths,
  type NodeIdentity,
  raftAddressOf,
  readBootstrap,
  readIdentity,
  removeBootstrap,
  writeIdentity,
} from './data-dir.ts';
import {
  createLeaderComponentRunner,
  type LeaderComponent,
  type LeaderComponentRunner,
} from './leader-components.ts';
import { watchForRemoval } from './rejoin.ts';
import { type AppliedResult, ReplicatedState, registryEntry } from './replicated-state.ts';
import { ReplicatedBackend } from './replicated-store.ts';
import { parseClusterKeyring, SecretSealingBackend } from './secret-sealing-backend.ts';
import { systemNamespaces } from './system-namespaces.ts';
import { startWorker } from './worker-agent.ts';

/** What leader components get: the API's backend (every write a Raft proposal) and the state. */
export interface LeaderContext {
  readonly backend: ObjectBackend;
  readonly state: ReplicatedState;
  readonly identity: NodeIdentity;
  readonly logger: Logger;
}

export interface AgentOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /**
   * Extra leader-only components (the scheduler and the controllers plug in here). The agent
   * always runs its own: the founder's registry bootstrap and the system namespaces.
   */
  readonly leaderComponents?: readonly LeaderComponent<LeaderContext>[];
  /** Raft tick (ms); elections start after 5-10 ticks without a leader. Default 100. */
  readonly tickMs?: number;
  /** Applied entries between Raft snapshots (consensus default 10,000; tests lower it). */
  readonly snapshotEntries?: number;
  /**
   * Run the node components (kubelet, proxy, metrics; node/) and, on the leader, the scheduler
   * and controllers (control/). Default true; false leaves a bare control-plane member.
   */
  readonly workloads?: boolean;
  /** Lets the agent restart itself in a new role or stop after leaving (agent-lifecycle.ts). */
  readonly lifecycle?: AgentLifecycle;
  /**
   * Objects live in this external etcd instead of the Raft-replicated store (store-etcd/README.md);
   * Raft still holds the registry and elects the leader that runs the controllers.
   */
  readonly datastore?: DatastoreConfig;
}

export interface RunningAgent {
  readonly identity: NodeIdentity;
  readonly apiAddress: string;
  status(): NodeStatus;
  stop(): Promise<void>;
}

export const KEDGE_SERVER_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' } as const;

/** Starts the agent whose data directory is `options.dataDir`. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const identity = await readIdentity(options.dataDir);
  const logger = options.logger ?? stderrLogger(`agent-${identity.nodeId}`);
  return identity.role === 'voter'
    ? startVoter(options, identity, logger)
    : startWorker(options, identity, logger);
}

async function startVoter(
  options: AgentOptions,
  initial: NodeIdentity,
  logger: Logger,
): Promise<RunningAgent> {
  const started = Date.now();
  let identity = initial;
  const { dataDir } = options;
  const { caPem, nodeCert } = await loadCredentials(dataDir);
  const caBundle = await readPemBundle(dataPaths(dataDir).pki, 'ca');
  const ca = await loadCa(caBundle);
  const clusterKey = JSON.parse(await readFile(dataPaths(dataDir).clusterKey, 'utf8')) as unknown;

  const state = new ReplicatedState();
  const transport = await createTcpTransport({
    id: identity.nodeId,
    listen: raftAddressOf(identity),
    tls: { key: nodeCert.key, cert: nodeCert.cert, ca: caPem },
    logger,
  });
  const peers = new Map<number, string>([[identity.nodeId, raftAddressOf(identity)]]);
  // A joiner must reach the voters before it has applied the entries that name them.
  for (const v of identity.voters) if (v.id !== identity.nodeId) peers.set(v.id, v.raftAddress);
  const raft: RaftNode<AppliedResult> = createRaftNode<AppliedResult>({
    id: identity.nodeId,
    peers: identity.founder ? new Map([[identity.nodeId, raftAddressOf(identity)]]) : peers,
    dataDir: dataPaths(dataDir).raft,
    transport,
    stateMachine: state,
    join: !identity.founder,
    logger,
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
    ...(options.snapshotEntries !== undefined ? { snapshotEntries: options.snapshotEntries } : {}),
  });
  // Secrets are sealed before they are proposed: the Raft log and snapshots hold ciphertext only.
  const keyring = parseClusterKeyring(clusterKey);
  const external = options.datastore === undefined ? undefined : openDatastore(options.datastore);
  const objects: ObjectBackend = external?.backend ?? new ReplicatedBackend(raft, state);
  const peek = (key: ObjectKey) => {
    const stored = state.store.get(key, key.namespace, key.name);
    return stored instanceof Error ? undefined : stored;
  };
  // Only the replicated store can be peeked without a round trip; with etcd every Secret write re-seals.
  const backend: ObjectBackend = new SecretSealingBackend(objects, {
    keyring,
    ...(external === undefined ? { peek } : {}),
  });
  const authenticator = registryAuthenticator(state, keyring, logger);

  const context: LeaderContext = { backend, state, identity, logger };
  const components: LeaderComponent<LeaderContext>[] = [];
  const bootstrap = identity.founder ? await readBootstrap(dataDir) : undefined;
  if (bootstrap) components.push(registryBootstrap(raft, dataDir, bootstrap));
  components.push(systemNamespaces);
  components.push(serviceAccountComponent({ caPem }));
  components.push(
    autopilotComponent({ raft, state, probeWorker: workerStatusProbe({ caPem, nodeCert }), logger }),
  );
  const workloads = options.workloads !== false;
  const members = () => state.registry.members.map((m) => ({ name: m.name, apiAddress: m.apiAddress }));
  const gossipHealth = new HealthSlot();
  if (workloads)
    components.push(
      ...controlPlaneComponents({
        // The leader's probe together with gossip's SWIM view (set once the node components run).
        healthProbe: (signal) => combinedHealth(agentProbeHealth({ members }, signal), gossipHealth),
        // The HPA reads pods' CPU from the agents' usage summaries (what kubectl top shows).
        metrics: clusterMetricsSource({ members, caPem, nodeCert }),
      }),
    );
  components.push(...(options.leaderComponents ?? []));
  // ClusterIPs and NodePorts: the leader's book, asked by every voter's API (control/).
  const addressBook = new LeaderAddressBook({ log: (message) => logger.warn(message) });
  components.push(addressBook.component());
  const addressGrantor = clusterGrantor({
    book: addressBook,
    leaderAddress: () => state.registry.members.find((m) => m.id === raft.status().leader)?.apiAddress,
    caPem,
    nodeCert,
    log: (message) => logger.warn(message),
  });
  const leaderRunner: LeaderComponentRunner = createLeaderComponentRunner(components, context, logger);

  const nodeStatus = (): NodeStatus => {
    const s = raft.status();
    // Only a member of the voters can be elected: a joiner that has not yet applied the entry
    // adding it (its log is still empty) is no candidate, whatever the registry says.
    const voting = s.confState.voters.includes(identity.nodeId);
    return {
      id: identity.nodeId,
      name: identity.name,
      role: s.role === 'leader' ? 'leader' : voting ? 'candidate' : 'learner',
      raftState: s.role,
      term: s.term,
      leader: s.leader,
      commit: s.commit,
      applied: s.applied,
      apiAddress: apiAddressOf(identity),
      leaderComponents: leaderRunner.running(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    };
  };

  const voter: VoterControl = {
    raft,
    state,
    ca,
    caKeyPem: caBundle.keyPem,
    clusterKey,
    ...(options.datastore === undefined ? {} : { datastore: options.datastore }),
  };
  // Agents (node certificates) act for their own node only (auth/node-rules.ts: Kubernetes' Node
  // authorizer and NodeRestriction). With etcd, the pods bound to a node come from an informer.
  const podsByNode = external === undefined ? undefined : new PodsByNode(backend, (m) => logger.warn(m));
  const relationsStop = new AbortController();
  void podsByNode?.run(relationsStop.signal);
  const authorizer = nodeAuthorizer({
    inner: new RoleAuthorizer([]),
    memberName: (id) =>
      (state.registry.members.find((m) => m.id === id) ?? state.registry.retired?.find((m) => m.id === id))
        ?.name,
    relations: podsByNode ?? storeRelations(() => state.store),
    // The edge ingress proxy informs every Secret for TLS certificates (node-rules.ts).
    secretListsForIngress: true,
  });
  const extraRoutes: RouteHandler[] = [serviceAddressRoutes(addressBook)];
  // Streams (kubectl exec): the node's own endpoint once it runs, then the API's tunnel to nodes.
  const upgradeRoutes: UpgradeHandler[] = [];
  if (workloads) {
    // Who may reach a pod on which node: the same checks for streams and for the proxied routes.
    const nodeAccess: ExecProxyDeps = {
      authenticate: (header) => authenticator.authenticate(header),
      authorize: (who, attributes) => authorizer.authorize(who, attributes),
      members,
      getPod: async (namespace, name) =>
        (await backend.get({ group: '', resource: 'pods', namespace, name })) as Pod,
      caPem,
      nodeCert,
    };
    extraRoutes.push(podStreamWithoutUpgrade);
    upgradeRoutes.push(podStreamUpgrades(nodeAccess));
    extraRoutes.push(clusterRoutes(nodeAccess));
  }
  const api: ApiServer = createApiServer({
    backend: new ServiceAddressBackend(backend, addressGrantor),
    // The metrics API is served by node/cluster-routes.ts; listed here for discovery (kubectl top).
    resources: workloads ? [...RESOURCES, ...METRICS_RESOURCES] : RESOURCES,
    authenticator,
    authorizer,
    admission: apiAdmission,
    version: KEDGE_SERVER_VERSION,
    tls: { cert: nodeCert.cert, key: nodeCert.key, clientCa: caPem },
    onInternalError: (error, req) =>
      logger.error('API request failed', {
        method: req.method,
        path: req.url,
        error: (error as Error).message,
      }),
  });
  api.server.on('upgrade', routeUpgrades(upgradeRoutes));
  routeClusterPaths(api.server, extraRoutes, (req, res) =>
    serveClusterEndpoint(
      {
        identity: () => identity,
        caPem,
        nodeCert,
        authenticate: (header) => authenticator.authenticate(header),
        nodeStatus,
        voter,
        logger,
        ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
        stopNodeComponents: async () => {
          const stopping = node;
          node = undefined;
          await stopping?.stop();
        },
      },
      req,
      res,
    ),
  );

  // The dashboard goes in front of everything (it answers CORS preflights for the other agents).
  mountDashboard(api.server, {
    assets: await loadDashboardAssets(),
    allowedOrigins: agentOrigins(() => state.registry.members.map((m) => m.apiAddress)),
  });

  raft.on('role', ({ role, term }) => {
    if (role === 'leader') leaderRunner.leading(term);
    else leaderRunner.notLeading();
  });
  raft.on('stopped', ({ error }) => {
    leaderRunner.notLeading();
    if (error) logger.error('raft stopped after a fatal error', { error: error.message });
  });
  await raft.start();
  await api.listen(identity.apiPort, identity.advertise);
  let node: NodeComponents | undefined;
  if (workloads) {
    node = await startNodeComponents({
      nodeName: identity.name,
      address: identity.advertise,
      apiPort: identity.apiPort,
      dataDir,
      caPem,
      nodeCert,
      apiUpstreams: () => [
        apiAddressOf(identity),
        ...votersOf(state.registry.members)
          .map((v) => v.apiAddress)
          .filter((a) => a !== apiAddressOf(identity)),
      ],
      authenticate: (header) => authenticator.authenticate(header),
      logger,
    });
    extraRoutes.unshift(node.routes);
    upgradeRoutes.unshift(node.upgrades);
    if (node.health) gossipHealth.set(node.health);
  }
  logger.info('agent serving', {
    id: identity.nodeId,
    role: 'voter',
    api: apiAddressOf(identity),
    raft: raftAddressOf(identity),
  });

  const promotion = new AbortController();
  if (!identity.promoted) {
    void askForPromotion(raft, identity, caPem, nodeCert, logger, promotion.signal).then(async (done) => {
      if (!done) return;
      identity = { ...identity, promoted: true };
      await writeIdentity(dataDir, identity);
    });
  }

  // Removed as dead while away? Rejoin with a new id (rejoin.ts).
  const removalWatch = options.lifecycle
    ? watchForRemoval({
        dataDir,
        identity: () => identity,
        raftStatus: () => raft.status(),
        voterAddresses: () => [
          ...new Set([
            ...identity.voters.map((v) => v.apiAddress),
            ...votersOf(state.registry.members).map((v) => v.apiAddress),
          ]),
        ],
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
      removalWatch?.stop();
      promotion.abort();
      relationsStop.abort();
      await node?.stop();
      await leaderRunner.stop();
      await api.close();
      await raft.stop();
      external?.close();
    },
  };
}

/** The founder's first leadership: commit the registry that `kedge init` prepared, once. */
function registryBootstrap(
  raft: RaftNode<AppliedResult>,
  dataDir: string,
  bootstrap: NonNullable<Awaited<ReturnType<typeof readBootstrap>>>,
): LeaderComponent<LeaderContext> {
  return {
    name: 'registry-bootstrap',
    async run({ state, identity }) {
      if (state.registry.clusterId === '') {
        const applied = await raft.propose(
          registryEntry({
            op: 'bootstrap',
            clusterId: identity.clusterId,
            desiredVoters: bootstrap.desiredVoters,
            founder: {
              id: identity.nodeId,
              name: identity.name,
              role: 'voter',
              apiAddress: apiAddressOf(identity),
              raftAddress: raftAddressOf(identity),
              joinedAt: new Date().toISOString(),
            },
            joinTokens: bootstrap.joinTokens,
            users: bootstrap.users,
          }),
        );
        if (applied.kind !== 'registry' || !applied.result.ok) {
          throw new Error(`bootstrap refused: ${JSON.stringify(applied.result)}`);
        }
      }
      await removeBootstrap(dataDir);
    },
  };
}

/** A joined voter: once it has applied what the leader had committed at join, it asks to vote. */
async function askForPromotion(
  raft: RaftNode<AppliedResult>,
  identity: NodeIdentity,
  caPem: string,
  nodeCert: { cert: string; key: string },
  logger: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  const target = identity.catchUpIndex ?? 1;
  while (!signal.aborted && raft.status().applied < target) await sleep(50);
  let candidates = identity.voters.map((v) => v.apiAddress).filter((a) => a !== apiAddressOf(identity));
  let attempt = 0;
  while (!signal.aborted) {
    const address = candidates[attempt++ % Math.max(1, candidates.length)];
    if (address === undefined) return false;
    try {
      const reply = await callAgent(address, '/kedge/v1/promote', {
        method: 'POST',
        body: {},
        ca: caPem,
        clientCert: nodeCert,
        timeoutMs: 20_000,
      });
      if (reply.status === 200) {
        logger.info('promoted to voter', { voters: reply.json?.voters });
        return true;
      }
      const leader = reply.headers['x-kedge-leader'];
      if (typeof leader === 'string') candidates = [leader, ...candidates.filter((a) => a !== leader)];
      logger.info('promotion not yet accepted', { status: reply.status, message: reply.json?.message });
    } catch (error) {
      logger.info('promotion request failed; retrying', { address, error: (error as Error).message });
    }
    await sleep(200);
  }
  return false;
}

/** Puts /kedge/v1/* in front of the API server's own request handler on the same port. */
function routeClusterPaths(
  server: HttpServer,
  extra: readonly RouteHandler[],
  cluster: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const [api] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (api === undefined) throw new Error('the API server has no request handler to route around');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Node endpoints, the metrics API and pod logs first (node/): the API server has no hook.
    for (const route of extra) if (route(req, res)) return;
    if ((req.url ?? '').startsWith(CLUSTER_PATH_PREFIX)) cluster(req, res);
    else api(req, res);
  });
}

/**
 * Bearer tokens of the replicated users (rebuilt whenever the registry changes), then those of
 * ServiceAccounts (their token Secrets in this replica's store, serviceaccounts/).
 */
function registryAuthenticator(
  state: ReplicatedState,
  keyring: Parameters<typeof unsealSecret>[1],
  logger: Logger,
): {
  authenticate(header: string | undefined): Identity | undefined;
} {
  let tokens = new TokenAuthenticator(state.registry.users);
  state.onRegistryChange((registry) => {
    tokens = new TokenAuthenticator(registry.users);
  });
  const accounts = new ServiceAccountTokenAuthenticator({
    source: state,
    unseal: (secret) => unsealSecret(secret as SecretLike, keyring),
    onError: (message) => logger.warn(message),
  });
  return { authenticate: (header) => tokens.authenticate(header) ?? accounts.authenticate(header) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
