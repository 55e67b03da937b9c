/**
 * A voter that the autopilot removed as dead comes back (a box that was off for longer than the
 * grace). Its node id is burnt: Raft refuses a removed id, and the id is in its certificate
 * (CN=node-<id>). So it rejoins as a NEW member, proving who it was with its old certificate,
 * once only (the registry records `rejoinedAs`), no join token needed:
 *
 *   voter agent, no leader known -> ask the other voters GET /kedge/v1/members every 2 s
 *     -> its id is in `retired` (reason dead)? POST /kedge/v1/rejoin (old certificate) to the leader
 *        leader: registry rejoinMember -> new id, voter if there is a gap else worker
 *                -> new certificate; a voter is added as a learner (the autopilot promotes it)
 *     -> lifecycle.restart: stop, delete the old Raft log, write the new certificate and identity
 *        (a worker's copy of the CA key and cluster key is deleted), start again
 *     -> retired as `left`, or rejoined already: stop and tell the operator (nothing to heal)
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import type { RaftNodeStatus } from '../../../consensus/src/node/raft-node.ts';
import { writePemBundle } from '../pki/files.ts';
import { callAgent } from './agent-client.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { type ClusterEndpointOptions, type VoterControl, votersOf } from './cluster-endpoint.ts';
import type { MemberRecord, MemberRole } from './cluster-registry.ts';
import { dataPaths, type KnownVoter, type NodeIdentity, writeIdentity, writeJsonFile } from './data-dir.ts';
import {
  addressContext,
  changeConfiguration,
  MembershipError,
  proposeRegistryCommand,
} from './membership-changes.ts';
import { issueNodeCertificate } from './node-certificate.ts';
import type { RetiredMember } from './registry-membership.ts';
import { registriesFromVoters, watchRegistry } from './voter-polling.ts';

export interface RejoinReply {
  readonly clusterId: string;
  readonly member: MemberRecord;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caKeyPem?: string;
  readonly clusterKey?: unknown;
  readonly voters: readonly KnownVoter[];
  readonly catchUpIndex: number;
}

/** On the leader: member `oldId` (retired as dead) comes back with a new id. */
export async function rejoinAsNewMember(
  o: ClusterEndpointOptions,
  voter: VoterControl,
  oldId: number,
  body: { advertise?: unknown; apiPort?: unknown; raftPort?: unknown },
): Promise<RejoinReply> {
  const advertise = String(body.advertise ?? '');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(advertise) || !Number.isInteger(body.apiPort))
    throw new MembershipError('Refused', 'rejoin needs advertise (an IPv4 address) and apiPort');
  const result = await proposeRegistryCommand(voter.raft, {
    op: 'rejoinMember',
    oldId,
    now: new Date().toISOString(),
    apiAddress: `${advertise}:${String(body.apiPort)}`,
    raftAddress: `${advertise}:${String(body.raftPort ?? 0)}`,
  });
  const member = result.member as MemberRecord;
  const cert = await issueNodeCertificate(voter.ca, {
    nodeId: member.id,
    ipAddresses: [advertise, '127.0.0.1'],
  });
  if (member.role === 'voter') {
    await changeConfiguration(voter.raft, {
      type: 'addLearner',
      nodeId: member.id,
      context: addressContext(member.raftAddress),
    });
  }
  o.logger.info('a removed member rejoined with a new id', { oldId, id: member.id, role: member.role });
  const registry = voter.state.registry;
  return {
    clusterId: registry.clusterId,
    member,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    ...(member.role === 'voter' ? { caKeyPem: voter.caKeyPem, clusterKey: voter.clusterKey } : {}),
    voters: votersOf(registry.members),
    catchUpIndex: voter.raft.status().commit,
  };
}

export interface RemovalWatchOptions {
  readonly dataDir: string;
  readonly identity: () => NodeIdentity;
  readonly raftStatus: () => RaftNodeStatus;
  /** Voters this agent knows of (its own possibly stale registry and its identity). */
  readonly voterAddresses: () => readonly string[];
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  readonly lifecycle: AgentLifecycle;
  readonly logger: Logger;
  readonly intervalMs?: number;
}

/** Watches, while this voter knows no leader, whether the cluster retired it. */
export function watchForRemoval(o: RemovalWatchOptions): { stop(): void } {
  return watchRegistry({
    intervalMs: o.intervalMs ?? 2000,
    due: () => o.raftStatus().leader === 0,
    check: () => checkOnce(o),
    onError: (error) => o.logger.warn('rejoin check failed', { error: error.message }),
  });
}

async function checkOnce(o: RemovalWatchOptions): Promise<boolean> {
  const me = o.identity();
  const self = `${me.advertise}:${me.apiPort}`;
  const others = o.voterAddresses().filter((a) => a !== self);
  for await (const { address, registry } of registriesFromVoters(others, o, 'removal check')) {
    if (registry.clusterId !== me.clusterId) continue;
    const retired = (registry.retired ?? []).find((r: RetiredMember) => r.id === me.nodeId);
    if (retired === undefined) return false;
    if (retired.reason !== 'dead' || retired.rejoinedAs !== undefined) {
      o.logger.error(
        retired.rejoinedAs !== undefined
          ? `node ${me.nodeId} already rejoined as node ${retired.rejoinedAs}; this data directory is stale: remove it`
          : `node ${me.nodeId} left the cluster; empty ${o.dataDir} and join again with a token`,
      );
      o.lifecycle.exit(`node ${me.nodeId} is no longer a member`);
      return true;
    }
    o.logger.warn('this voter was removed while it was away; rejoining with a new id', { id: me.nodeId });
    const reply = await requestRejoin(o, address);
    o.lifecycle.restart(`rejoined as node ${reply.member.id} (${reply.member.role})`, () =>
      rewriteDataDir(o.dataDir, me, reply),
    );
    return true;
  }
  return false;
}

async function requestRejoin(o: RemovalWatchOptions, first: string): Promise<RejoinReply> {
  const me = o.identity();
  let address = first;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await callAgent(address, '/kedge/v1/rejoin', {
      body: { advertise: me.advertise, apiPort: me.apiPort, raftPort: me.raftPort },
      ca: o.caPem,
      clientCert: o.nodeCert,
      timeoutMs: 20_000,
    });
    if (reply.status === 200) return reply.json as RejoinReply;
    const leader = reply.headers['x-kedge-leader'];
    if (reply.status !== 503 || Date.now() > deadline)
      throw new MembershipError(
        'Refused',
        `rejoin refused (HTTP ${reply.status}): ${reply.json?.message ?? reply.text}`,
      );
    if (typeof leader === 'string') address = leader;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** The old Raft log belongs to the old id: delete it; the new certificate and identity replace the old. */
export async function rewriteDataDir(dataDir: string, old: NodeIdentity, reply: RejoinReply): Promise<void> {
  const paths = dataPaths(dataDir);
  await rm(paths.raft, { recursive: true, force: true });
  await writePemBundle(paths.pki, 'node', { certPem: reply.certPem, keyPem: reply.keyPem });
  const role: MemberRole = reply.member.role;
  if (role === 'voter' && reply.caKeyPem !== undefined) {
    const caPem = await readFile(path.join(paths.pki, 'ca.crt'), 'utf8');
    await writePemBundle(paths.pki, 'ca', { certPem: caPem, keyPem: reply.caKeyPem });
    await writeJsonFile(paths.clusterKey, reply.clusterKey);
  } else {
    // A worker holds no CA key and no Secret key: demoted means demoted.
    await rm(path.join(paths.pki, 'ca.key'), { force: true });
    await rm(paths.clusterKey, { force: true });
  }
  await writeIdentity(dataDir, {
    ...old,
    nodeId: reply.member.id,
    name: reply.member.name,
    role,
    founder: false,
    voters: reply.voters,
    promoted: role !== 'voter',
    catchUpIndex: reply.catchUpIndex,
  });
  await writeFile(
    path.join(dataDir, 'rejoined'),
    `node ${old.nodeId} -> node ${reply.member.id} ${new Date().toISOString()}\n`,
  );
}
