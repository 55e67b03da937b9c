/**
 * The operator's and the agents' membership operations on /kedge/v1 (beside cluster-endpoint.ts):
 *
 *   POST /kedge/v1/leave              this agent leaves (leave.ts), then stops          admin
 *   POST /kedge/v1/members/remove     {id}: retire a member (reason left)   leader   admin or that node
 *   POST /kedge/v1/transfer-leader    {to?}: hand leadership over           leader   admin
 *   GET  /kedge/v1/snapshot           a consistent snapshot, streamed       leader   admin
 *   POST /kedge/v1/voter-credentials  a worker made a voter fetches the CA key       that node
 *   POST /kedge/v1/rejoin             a voter removed as dead returns (new id)       leader   that node
 *   GET|PUT /kedge/v1/autopilot       the autopilot's settings              (PUT: leader) admin
 *
 * Routes that change the membership are served by the leader; a follower answers 503 naming it
 * (X-Kedge-Leader), as join does. Returns undefined for a path that is not one of these.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { certificateIdentity } from '../auth/client-certificates.ts';
import {
  type ClusterEndpointOptions,
  nodeIdOf,
  requireAdmin,
  requireLeader,
  type VoterControl,
  votersOf,
} from './cluster-endpoint.ts';
import { VOTER_COUNTS } from './cluster-registry.ts';
import { HttpProblem, readJson } from './endpoint-http.ts';
import { leaveCluster, removeMember, transferLeadership } from './leave.ts';
import { MembershipError, proposeRegistryCommand } from './membership-changes.ts';
import { type AutopilotSettings, autopilotOf } from './registry-membership.ts';
import { rejoinAsNewMember } from './rejoin.ts';
import { serveSnapshot } from './snapshot-backup.ts';

export async function routeOperations(
  o: ClusterEndpointOptions,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): Promise<unknown> {
  if (method === 'POST' && path === '/kedge/v1/leave') {
    // `kedge leave --data-dir D` on the box presents the agent's own certificate; or the admin.
    if (nodeIdOf(certificateIdentity(req.socket)) !== o.identity().nodeId) requireAdmin(o, req);
    const result = await asProblem(() => leaveCluster(o));
    // Answer first, then stop: the caller sees the outcome before the port closes.
    setTimeout(() => o.lifecycle?.exit(`left the cluster (${result.how})`), 200);
    return { ...result, stopping: o.lifecycle !== undefined };
  }
  const voter = o.voter;
  if (voter === undefined) return undefined;
  if (method === 'POST' && path === '/kedge/v1/members/remove') {
    const body = (await readJson(req)) as { id?: unknown };
    const id = Number(body.id);
    if (!Number.isInteger(id) || id <= 0) throw new HttpProblem(400, 'BadRequest', 'id must be a node id');
    if (nodeIdOf(certificateIdentity(req.socket)) !== id) requireAdmin(o, req);
    requireLeader(o, voter);
    return asProblem(() => removeMember(voter, id, o.logger));
  }
  if (method === 'POST' && path === '/kedge/v1/transfer-leader') {
    requireAdmin(o, req);
    requireLeader(o, voter);
    const body = (await readJson(req)) as { to?: unknown };
    const to = body.to === undefined ? undefined : Number(body.to);
    return asProblem(() => transferLeadership(voter, to, o.logger));
  }
  if (method === 'GET' && path === '/kedge/v1/snapshot') {
    requireAdmin(o, req);
    requireLeader(o, voter);
    return serveSnapshot(voter, res);
  }
  if (method === 'POST' && path === '/kedge/v1/voter-credentials') return voterCredentials(o, voter, req);
  if (method === 'POST' && path === '/kedge/v1/rejoin') {
    const oldId = nodeIdOf(certificateIdentity(req.socket));
    if (oldId === undefined)
      throw new HttpProblem(401, 'Unauthorized', 'rejoin needs the agent certificate (CN=node-<id>)');
    requireLeader(o, voter);
    const body = (await readJson(req)) as { advertise?: unknown; apiPort?: unknown; raftPort?: unknown };
    return asProblem(() => rejoinAsNewMember(o, voter, oldId, body));
  }
  if (path === '/kedge/v1/autopilot' && method === 'GET') {
    requireAdmin(o, req);
    const status = voter.raft.status();
    // The Raft configuration as this voter applied it (the leader's is authoritative).
    return {
      settings: autopilotOf(voter.state.registry),
      desiredVoters: voter.state.registry.desiredVoters,
      leader: status.leader,
      voters: status.confState.voters,
      learners: status.confState.learners,
    };
  }
  if (path === '/kedge/v1/autopilot' && (method === 'PUT' || method === 'POST')) {
    requireAdmin(o, req);
    requireLeader(o, voter);
    const change = autopilotChangeOf(await readJson(req));
    if (change.settings !== undefined) {
      const settings = { ...autopilotOf(voter.state.registry), ...change.settings };
      await asProblem(() => proposeRegistryCommand(voter.raft, { op: 'setAutopilot', settings }));
    }
    if (change.desiredVoters !== undefined) {
      const desiredVoters = change.desiredVoters;
      await asProblem(() => proposeRegistryCommand(voter.raft, { op: 'setDesiredVoters', desiredVoters }));
    }
    return {
      settings: autopilotOf(voter.state.registry),
      desiredVoters: voter.state.registry.desiredVoters,
    };
  }
  return undefined;
}

/** A worker the autopilot made a voter needs what every voter holds: the CA key, the cluster key. */
function voterCredentials(o: ClusterEndpointOptions, voter: VoterControl, req: IncomingMessage): unknown {
  const id = nodeIdOf(certificateIdentity(req.socket));
  if (id === undefined)
    throw new HttpProblem(401, 'Unauthorized', 'voter credentials need the agent certificate (CN=node-<id>)');
  const member = voter.state.registry.members.find((m) => m.id === id);
  if (member?.role !== 'voter')
    throw new HttpProblem(
      403,
      'Forbidden',
      `node ${id} is not a voter in this agent's registry; retry later`,
    );
  o.logger.info('voter credentials handed to a designated voter', { id });
  const status = voter.raft.status();
  // These are the new replica's Raft peers until its log names the members: it can answer only
  // the peers it knows, so every member Raft counts as a voter (the leader first of all) is
  // listed, whatever role the registry gives it, or the leader never hears the learner.
  const raftVoters = new Set([...status.confState.voters, status.leader]);
  const peers = voter.state.registry.members.filter((m) => m.role === 'voter' || raftVoters.has(m.id));
  return {
    caKeyPem: voter.caKeyPem,
    clusterKey: voter.clusterKey,
    voters: votersOf(peers.map((m) => ({ ...m, role: 'voter' as const }))),
    catchUpIndex: status.commit,
  };
}

const SETTING_KEYS: readonly (keyof AutopilotSettings)[] = [
  'enabled',
  'deadVoterGraceMs',
  'stabilizationMs',
  'maxLagEntries',
];

/** A PUT body: known settings only (an unknown key is a typo, refused rather than stored). */
function autopilotChangeOf(body: unknown): {
  settings?: Partial<AutopilotSettings>;
  desiredVoters?: number;
} {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpProblem(400, 'BadRequest', 'the autopilot settings must be a JSON object');
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter(
    (k) => k !== 'desiredVoters' && !(SETTING_KEYS as readonly string[]).includes(k),
  );
  if (unknown.length > 0)
    throw new HttpProblem(
      400,
      'BadRequest',
      `unknown autopilot setting(s) ${unknown.join(', ')}; known: ${[...SETTING_KEYS, 'desiredVoters'].join(', ')}`,
    );
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (record[key] !== undefined) settings[key] = record[key];
  const desiredVoters = record.desiredVoters;
  // Checked here too (the registry checks it again), so a bad count changes none of the settings.
  if (
    desiredVoters !== undefined &&
    (typeof desiredVoters !== 'number' || !VOTER_COUNTS.includes(desiredVoters))
  )
    throw new HttpProblem(400, 'BadRequest', `desiredVoters must be one of ${VOTER_COUNTS.join(', ')}`);
  return {
    ...(Object.keys(settings).length > 0 ? { settings: settings as Partial<AutopilotSettings> } : {}),
    ...(desiredVoters !== undefined ? { desiredVoters } : {}),
  };
}

async function asProblem<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MembershipError) {
      throw error.kind === 'Refused'
        ? new HttpProblem(409, 'Conflict', error.message)
        : new HttpProblem(503, 'ServiceUnavailable', error.message);
    }
    throw error;
  }
}
