/**
 * The agent's own HTTP API beside Kubernetes': /kedge/v1/*, on the same HTTPS port.
 *
 *   GET  /kedge/v1/ca              the cluster CA (no auth: the joiner checks it by the token's hash)
 *   GET  /kedge/v1/node            this agent's status                 admin token or a node certificate
 *   GET  /kedge/v1/cluster         every member's status, aggregated   admin
 *   GET  /kedge/v1/members         the registry's members              admin or a node certificate
 *   POST /kedge/v1/join            {token, name, advertise, apiPort, raftPort} -> identity + certificate
 *   POST /kedge/v1/promote         a caught-up learner asks to vote    its node certificate
 *   GET|POST /kedge/v1/tokens, POST /kedge/v1/tokens/revoke            admin
 *
 * Join, promote and tokens change the membership or the registry, so the leader serves them; a
 * follower answers 503 naming the leader in X-Kedge-Leader and the client goes there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import type { RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { ConsensusError } from '../../../consensus/src/types.ts';
import { makeStatus } from '../api/errors.ts';
import { certificateIdentity } from '../auth/client-certificates.ts';
import type { Identity } from '../auth/tokens.ts';
import type { LoadedCa } from '../pki/certificate-authority.ts';
import type { DatastoreConfig } from '../store-etcd/datastore.ts';
import { callAgent } from './agent-client.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import type { JoinTokenKind, MemberRecord, RegistryCommand, RegistryResult } from './cluster-registry.ts';
import { RETRY_AFTER_SECONDS } from './consensus-errors.ts';
import type { NodeIdentity } from './data-dir.ts';
import { HttpProblem, RESPONDED, readJson, writeJson } from './endpoint-http.ts';
import { createJoinToken, hashSecret, JoinTokenError, parseJoinToken } from './join-token.ts';
import { issueNodeCertificate } from './node-certificate.ts';
import { routeOperations } from './operations-endpoint.ts';
import { type AppliedResult, type ReplicatedState, registryEntry } from './replicated-state.ts';

/** What one agent says about itself. */
export interface NodeStatus {
  readonly id: number;
  readonly name: string;
  /** leader | candidate (a voter that follows) | learner (joining, catching up) | worker */
  readonly role: 'leader' | 'candidate' | 'learner' | 'worker';
  /** Raft's own state (follower, preCandidate, candidate, leader), '' on workers. */
  readonly raftState: string;
  readonly term: number;
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly apiAddress: string;
  readonly leaderComponents: readonly string[];
  readonly uptimeSeconds: number;
}

export interface VoterControl {
  readonly raft: RaftNode<AppliedResult>;
  readonly state: ReplicatedState;
  readonly ca: LoadedCa;
  readonly caKeyPem: string;
  readonly clusterKey: unknown;
  /** Set when the objects live in an external etcd (store-etcd/): Raft then holds only the registry. */
  readonly datastore?: DatastoreConfig;
}

export interface ClusterEndpointOptions {
  readonly identity: () => NodeIdentity;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  /** Bearer-token identity (the replicated users on voters; undefined on workers, which forward). */
  readonly authenticate: (authorization: string | undefined) => Identity | undefined;
  readonly nodeStatus: () => NodeStatus;
  readonly voter?: VoterControl;
  readonly logger: Logger;
  /** Restart or exit this agent (leave, rejoin): operations-endpoint.ts. */
  readonly lifecycle?: AgentLifecycle;
  /** Stops this agent's kubelet and node services for good (leave.ts, before its Node is deleted). */
  readonly stopNodeComponents?: () => Promise<void>;
}

export const CLUSTER_PATH_PREFIX = '/kedge/v1/';

/** Serves one /kedge/v1 request. */
export function serveClusterEndpoint(
  options: ClusterEndpointOptions,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  route(options, req, res).then(
    (body) => {
      if (body !== RESPONDED) writeJson(res, 200, body);
    },
    (error: unknown) => {
      if (error instanceof HttpProblem) {
        const status = makeStatus(
          error.reason,
          error.message,
          error.code === 503 ? { retryAfterSeconds: RETRY_AFTER_SECONDS } : undefined,
        );
        writeJson(res, error.code, status, {
          ...(error.code === 503 ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {}),
          ...error.headers,
        });
        return;
      }
      options.logger.error('cluster endpoint failed', { path: req.url, error: (error as Error).message });
      writeJson(
        res,
        500,
        makeStatus('InternalError', `Internal error occurred: ${(error as Error).message}`),
      );
    },
  );
}

async function route(o: ClusterEndpointOptions, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const path = new URL(req.url ?? '/', 'https://kedge.invalid').pathname;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/kedge/v1/ca') return { caPem: o.caPem };
  if (method === 'GET' && path === '/kedge/v1/node') {
    requireAdminOrNode(o, req);
    return o.nodeStatus();
  }
  const operation = await routeOperations(o, req, res, method, path);
  if (operation !== undefined) return operation;
  const voter = o.voter;
  if (voter === undefined) throw new HttpProblem(404, 'NotFound', `${path} is served by voters only`);
  if (method === 'GET' && path === '/kedge/v1/members') {
    requireAdminOrNode(o, req);
    const { members, desiredVoters, retired = [], clusterId } = voter.state.registry;
    return { members, desiredVoters, retired, clusterId };
  }
  if (method === 'GET' && path === '/kedge/v1/cluster') {
    requireAdmin(o, req);
    return clusterStatus(o, voter);
  }
  if (method === 'POST' && path === '/kedge/v1/join')
    return join(o, voter, (await readJson(req)) as JoinRequest);
  if (method === 'POST' && path === '/kedge/v1/promote') return promote(o, voter, req);
  if (path === '/kedge/v1/tokens' && method === 'GET') {
    requireAdmin(o, req);
    return { tokens: voter.state.registry.joinTokens };
  }
  if (path === '/kedge/v1/tokens' && method === 'POST') {
    requireAdmin(o, req);
    const body = (await readJson(req)) as { kind?: JoinTokenKind; ttlSeconds?: number };
    if (body.kind !== 'voter' && body.kind !== 'worker')
      throw new HttpProblem(400, 'BadRequest', 'kind must be voter or worker');
    const ttl = body.ttlSeconds ?? 86_400;
    const { token, record } = createJoinToken(o.caPem, body.kind, new Date(Date.now() + ttl * 1000));
    await proposeRegistry(o, voter, { op: 'addJoinToken', token: record });
    return { token, id: record.id, kind: record.kind, expiresAt: record.expiresAt };
  }
  if (path === '/kedge/v1/tokens/revoke' && method === 'POST') {
    requireAdmin(o, req);
    const body = (await readJson(req)) as { id?: string };
    const result = await proposeRegistry(o, voter, { op: 'revokeJoinToken', id: String(body.id ?? '') });
    return { revoked: result.token?.id };
  }
  throw new HttpProblem(404, 'NotFound', `no ${method} ${path} here`);
}

interface JoinRequest {
  readonly token?: string;
  readonly name?: string;
  readonly advertise?: string;
  readonly apiPort?: number;
  readonly raftPort?: number;
}

async function join(o: ClusterEndpointOptions, voter: VoterControl, body: JoinRequest): Promise<unknown> {
  let token: ReturnType<typeof parseJoinToken>;
  try {
    token = parseJoinToken(String(body.token ?? ''));
  } catch (error) {
    if (error instanceof JoinTokenError) throw new HttpProblem(401, 'Unauthorized', error.message);
    throw error;
  }
  const advertise = String(body.advertise ?? '');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(advertise) || !Number.isInteger(body.apiPort)) {
    throw new HttpProblem(400, 'BadRequest', 'join needs advertise (an IPv4 address) and apiPort');
  }
  const result = await proposeRegistry(o, voter, {
    op: 'registerNode',
    tokenId: token.id,
    tokenSha256: hashSecret(token.secret),
    now: new Date().toISOString(),
    name: String(body.name ?? ''),
    apiAddress: `${advertise}:${body.apiPort}`,
    raftAddress: `${advertise}:${body.raftPort ?? 0}`,
  });
  const member = result.member as MemberRecord;
  const cert = await issueNodeCertificate(voter.ca, {
    nodeId: member.id,
    ipAddresses: [advertise, '127.0.0.1'],
  });
  if (member.role === 'voter') {
    await withConfChangeRetry(() =>
      voter.raft.proposeConfChange({
        type: 'addLearner',
        nodeId: member.id,
        context: new TextEncoder().encode(member.raftAddress),
      }),
    );
  }
  o.logger.info('agent joined', { id: member.id, role: member.role, api: member.apiAddress });
  const registry = voter.state.registry;
  return {
    clusterId: registry.clusterId,
    member,
    desiredVoters: registry.desiredVoters,
    caPem: o.caPem,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    ...(member.role === 'voter' ? { caKeyPem: voter.caKeyPem, clusterKey: voter.clusterKey } : {}),
    voters: votersOf(registry.members),
    catchUpIndex: voter.raft.status().commit,
  };
}

async function promote(
  o: ClusterEndpointOptions,
  voter: VoterControl,
  req: IncomingMessage,
): Promise<unknown> {
  const id = nodeIdOf(certificateIdentity(req.socket));
  if (id === undefined)
    throw new HttpProblem(401, 'Unauthorized', 'promote needs the agent certificate (CN=node-<id>)');
  requireLeader(o, voter);
  const member = voter.state.registry.members.find((m) => m.id === id);
  if (member?.role !== 'voter') throw new HttpProblem(403, 'Forbidden', `node ${id} did not join as a voter`);
  const conf = voter.raft.status().confState;
  if (conf.voters.includes(id)) return { promoted: id, voters: conf.voters };
  if (!conf.learners.includes(id))
    throw new HttpProblem(409, 'Conflict', `node ${id} is not a learner of this cluster`);
  const next = await withConfChangeRetry(() =>
    voter.raft.proposeConfChange({ type: 'addVoter', nodeId: id }),
  );
  o.logger.info('learner promoted to voter', { id, voters: next.voters });
  return { promoted: id, voters: next.voters };
}

async function clusterStatus(o: ClusterEndpointOptions, voter: VoterControl): Promise<unknown> {
  const self = o.nodeStatus();
  const registry = voter.state.registry;
  const members = await Promise.all(
    registry.members.map(async (m) => {
      if (m.id === self.id) return { ...m, status: self, health: 'healthy' };
      try {
        const reply = await callAgent(m.apiAddress, '/kedge/v1/node', {
          ca: o.caPem,
          clientCert: o.nodeCert,
          timeoutMs: 800,
        });
        if (reply.status !== 200) return { ...m, health: `unhealthy (HTTP ${reply.status})` };
        return { ...m, status: reply.json as NodeStatus, health: 'healthy' };
      } catch (error) {
        return { ...m, health: `unreachable (${(error as Error).message})` };
      }
    }),
  );
  const leaderApplied = Math.max(
    0,
    ...members.map((m) => ('status' in m && m.status ? m.status.applied : 0)),
  );
  return {
    clusterId: registry.clusterId,
    desiredVoters: registry.desiredVoters,
    term: self.term,
    leader: self.leader,
    members: members.map((m) => ({
      ...m,
      lag:
        'status' in m && m.status && m.status.role !== 'worker'
          ? leaderApplied - m.status.applied
          : undefined,
    })),
  };
}

async function proposeRegistry(
  o: ClusterEndpointOptions,
  voter: VoterControl,
  command: RegistryCommand,
): Promise<Extract<RegistryResult, { ok: true }>> {
  requireLeader(o, voter);
  let applied: AppliedResult;
  try {
    applied = await voter.raft.propose(registryEntry(command));
  } catch (error) {
    if (error instanceof ConsensusError) throw new HttpProblem(503, 'ServiceUnavailable', error.message);
    throw error;
  }
  if (applied.kind !== 'registry') throw new Error('a registry command was answered by the store');
  const result = applied.result;
  if (!result.ok) {
    const code = result.kind === 'Unauthorized' ? 401 : result.kind === 'NotFound' ? 404 : 400;
    throw new HttpProblem(code, result.kind === 'Invalid' ? 'BadRequest' : result.kind, result.message);
  }
  return result;
}

/** Membership changes go through the leader only; anyone else names it for the client. */
export function requireLeader(o: ClusterEndpointOptions, voter: VoterControl): void {
  const status = voter.raft.status();
  if (status.role === 'leader') return;
  const leader = voter.state.registry.members.find((m) => m.id === status.leader);
  throw new HttpProblem(
    503,
    'ServiceUnavailable',
    leader
      ? `node ${o.identity().nodeId} is not the leader; ask ${leader.apiAddress}`
      : 'no leader right now; retry shortly',
    leader ? { 'X-Kedge-Leader': leader.apiAddress } : {},
  );
}

async function withConfChangeRetry<T>(change: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await change();
    } catch (error) {
      // Two agents joining at once: one membership change at a time, so the second waits its turn.
      if (!(error instanceof ConsensusError) || error.kind !== 'ConfChangePending' || Date.now() > deadline) {
        if (error instanceof ConsensusError) throw new HttpProblem(503, 'ServiceUnavailable', error.message);
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export function votersOf(members: readonly MemberRecord[]) {
  return members
    .filter((m) => m.role === 'voter')
    .map((m) => ({ id: m.id, apiAddress: m.apiAddress, raftAddress: m.raftAddress }));
}

export function nodeIdOf(identity: Identity | undefined): number | undefined {
  const match = /^node-([1-9][0-9]*)$/.exec(identity?.name ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function requireAdmin(o: ClusterEndpointOptions, req: IncomingMessage): Identity {
  const identity = o.authenticate(req.headers.authorization);
  if (identity === undefined)
    throw new HttpProblem(401, 'Unauthorized', 'Unauthorized: send the admin token');
  if (!identity.groups.includes('system:masters')) {
    throw new HttpProblem(
      403,
      'Forbidden',
      `User "${identity.name}" may not read the cluster status; use the admin kubeconfig`,
    );
  }
  return identity;
}

function requireAdminOrNode(o: ClusterEndpointOptions, req: IncomingMessage): void {
  if (nodeIdOf(certificateIdentity(req.socket)) !== undefined) return;
  requireAdmin(o, req);
}
