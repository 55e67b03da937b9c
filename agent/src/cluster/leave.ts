/**
 * Graceful membership operations: `kedge leave` and `kedge cluster transfer-leader`.
 *
 *   leave (on the agent that leaves):
 *     voter:  leader? transfer leadership to the most caught-up live voter first
 *             -> stop its Raft replica (see below why) -> ask the leader: POST
 *             /kedge/v1/members/remove {id: self} (refused? the agent restarts, still a voter)
 *     worker: ask the leader the same (a worker has no Raft state: it only deregisters)
 *     -> stop the node components (else the kubelet registers the Node again) and delete this
 *        agent's Node through the voters left
 *     -> force-delete the pods still bound to it (`kedge leave` drained the rest first; DaemonSet
 *        pods, or all with --no-drain), as Kubernetes' pod GC does for pods of a missing Node:
 *        no kubelet is left to finish a graceful delete, and controllers recreate them elsewhere
 *     -> the endpoint answers, then the agent stops (agent-lifecycle.ts)
 *   remove (on the leader): majority guard -> registry retireMember(left) -> Raft removeNode
 *
 * The guard is the autopilot's: a voter is removed only if the voters left that are live still
 * form a majority of the smaller configuration, so leaving never costs the cluster its quorum.
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { callAgent } from './agent-client.ts';
import { removalKeepsMajority } from './autopilot-decision.ts';
import type { ClusterEndpointOptions, VoterControl } from './cluster-endpoint.ts';
import { apiAddressOf } from './data-dir.ts';
import { changeConfiguration, MembershipError, proposeRegistryCommand } from './membership-changes.ts';

export interface LeaveResult {
  readonly id: number;
  readonly how: string;
  readonly handedLeadershipTo?: number;
}

/** This agent leaves the cluster (the caller stops it afterwards). */
export async function leaveCluster(o: ClusterEndpointOptions): Promise<LeaveResult> {
  const identity = o.identity();
  const voter = o.voter;
  let handedLeadershipTo: number | undefined;
  if (voter !== undefined && voter.raft.status().role === 'leader') {
    handedLeadershipTo = (await transferLeadership(voter, undefined, o.logger)).to;
  }
  const addresses =
    voter !== undefined
      ? voter.state.registry.members
          .filter((m) => m.role === 'voter' && m.id !== identity.nodeId)
          .map((m) => m.apiAddress)
      : identity.voters.map((v) => v.apiAddress).filter((a) => a !== apiAddressOf(identity));
  if (voter !== undefined) {
    // Out of Raft before the removal: the leader drops its link to a removed member, and a
    // replica that has not applied its own removal yet takes that for a dead leader and
    // campaigns at once (the transport's fast failover). A follower that lost the same leader
    // could vote for it, and a removed member would lead a term. Stopped, it is just a voter
    // that is down, which the removal's majority guard already allows for.
    await voter.raft.stop();
  }
  try {
    await askLeaderToRemove(o, addresses, identity.nodeId);
  } catch (error) {
    // Still a member: come back whole rather than stay a voter without Raft.
    if (voter !== undefined) o.lifecycle?.restart('the leave was refused; rejoining as the voter it is');
    throw error;
  }
  o.logger.info('left the cluster', { id: identity.nodeId, handedLeadershipTo });
  if (o.stopNodeComponents !== undefined) {
    await o.stopNodeComponents();
    await deleteNode(o, addresses, identity.name);
    await deleteStrandedPods(o, addresses, identity.name);
  }
  return {
    id: identity.nodeId,
    how: voter !== undefined ? 'voter removed from the Raft configuration' : 'worker deregistered',
    ...(handedLeadershipTo !== undefined ? { handedLeadershipTo } : {}),
  };
}

async function askLeaderToRemove(o: ClusterEndpointOptions, addresses: readonly string[], id: number) {
  const deadline = Date.now() + 15_000;
  let candidates = [...addresses];
  let last = 'no voter to ask';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const address = candidates[attempt % Math.max(1, candidates.length)];
    if (address === undefined) break;
    try {
      const reply = await callAgent(address, '/kedge/v1/members/remove', {
        body: { id },
        ca: o.caPem,
        clientCert: o.nodeCert,
        timeoutMs: 20_000,
      });
      if (reply.status === 200) return;
      last = `${address} answered ${reply.status}: ${reply.json?.message ?? reply.text}`;
      if (reply.status === 409) throw new MembershipError('Refused', last);
      const leader = reply.headers['x-kedge-leader'];
      if (typeof leader === 'string') candidates = [leader, ...candidates.filter((a) => a !== leader)];
    } catch (error) {
      if (error instanceof MembershipError) throw error;
      last = `${address}: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new MembershipError('Unavailable', `could not reach the leader to leave (${last}); retry`);
}

/**
 * Deletes this agent's Node through a voter other than itself (a voter that left answers no
 * reads any more). Its pods are not drained here: `kedge leave` drains them before asking.
 */
async function deleteNode(o: ClusterEndpointOptions, addresses: readonly string[], name: string) {
  // A voter leaving may cost an election; the delete waits it out like the removal does.
  const deadline = Date.now() + 15_000;
  let last = 'no voter to ask';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const address = addresses[attempt % Math.max(1, addresses.length)];
    if (address === undefined) break;
    try {
      const reply = await callAgent(address, `/api/v1/nodes/${encodeURIComponent(name)}`, {
        method: 'DELETE',
        ca: o.caPem,
        clientCert: o.nodeCert,
        timeoutMs: 10_000,
      });
      if (reply.status === 200 || reply.status === 404) return;
      last = `${address} answered ${reply.status}: ${reply.json?.message ?? reply.text}`;
    } catch (error) {
      last = `${address}: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new MembershipError(
    'Unavailable',
    `node ${name} left the cluster but its Node object remains (${last}); delete it with \`kedge delete node ${name}\``,
  );
}

/**
 * Pods bound to the Node that is gone, deleted with grace 0 through the voters left: no kubelet
 * will stop them any more, so a graceful delete would leave them Terminating for ever.
 */
async function deleteStrandedPods(o: ClusterEndpointOptions, addresses: readonly string[], node: string) {
  const call = (address: string, path: string, method = 'GET') =>
    callAgent(address, path, { method, ca: o.caPem, clientCert: o.nodeCert, timeoutMs: 10_000 });
  const deadline = Date.now() + 15_000;
  let last = 'no voter to ask';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const address = addresses[attempt % Math.max(1, addresses.length)];
    if (address === undefined) break;
    try {
      const list = await call(
        address,
        `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
      );
      if (list.status !== 200) {
        last = `${address} answered ${list.status}: ${list.json?.message ?? list.text}`;
      } else {
        const pods = (list.json?.items ?? []) as { metadata: { namespace?: string; name?: string } }[];
        let failed = 0;
        for (const pod of pods) {
          const { namespace = 'default', name = '' } = pod.metadata;
          const reply = await call(
            address,
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}?gracePeriodSeconds=0`,
            'DELETE',
          );
          if (reply.status === 200 || reply.status === 404) {
            o.logger.info('deleted a pod of the Node that left', { pod: `${namespace}/${name}` });
            continue;
          }
          failed++;
          last = `${address} answered ${reply.status} deleting pod ${namespace}/${name}: ${reply.json?.message ?? reply.text}`;
        }
        if (failed === 0) return;
      }
    } catch (error) {
      last = `${address}: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new MembershipError(
    'Unavailable',
    `node ${node} left the cluster but pods stay bound to it (${last}); delete them with \`kedge delete pod NAME --grace-period 0\``,
  );
}

/** On the leader: retire member `id` (it left) and take it out of Raft, guarded. */
export async function removeMember(
  voter: VoterControl,
  id: number,
  logger: Logger,
): Promise<{ removed: number; voters: readonly number[] }> {
  const status = voter.raft.status();
  if (id === status.id)
    throw new MembershipError('Refused', 'the leader cannot remove itself; transfer leadership first');
  const conf = status.confState;
  const inRegistry = voter.state.registry.members.some((m) => m.id === id);
  const inRaft = conf.voters.includes(id) || conf.learners.includes(id);
  if (!inRegistry && !inRaft) throw new MembershipError('Refused', `node ${id} is not a member`);
  if (conf.voters.includes(id)) {
    const live = await liveVoters(voter);
    if (!removalKeepsMajority(conf.voters, id, (v) => live.has(v))) {
      throw new MembershipError(
        'Refused',
        `removing voter ${id} would leave ${live.size - (live.has(id) ? 1 : 0)} live voter(s) of ${conf.voters.length - 1}: no majority; bring the dead voters back first`,
      );
    }
  }
  if (inRegistry)
    await proposeRegistryCommand(voter.raft, {
      op: 'retireMember',
      id,
      reason: 'left',
      now: new Date().toISOString(),
    });
  const next = inRaft ? await changeConfiguration(voter.raft, { type: 'removeNode', nodeId: id }) : conf;
  logger.info('member left', { id, voters: next.voters });
  return { removed: id, voters: next.voters };
}

/** On the leader: hand leadership to `to`, or to the most caught-up live voter. */
export async function transferLeadership(
  voter: VoterControl,
  to: number | undefined,
  logger: Logger,
): Promise<{ from: number; to: number; term: number; tookMs: number }> {
  const status = voter.raft.status();
  if (to === status.id) return { from: status.id, to: status.id, term: status.term, tookMs: 0 };
  const others = status.confState.voters.filter((v) => v !== status.id);
  let target = to;
  if (target === undefined) {
    const live = await liveVoters(voter);
    const progress = voter.raft.status().progress;
    target = others
      .filter((v) => live.has(v))
      .sort((a, b) => (progress.get(b)?.match ?? 0) - (progress.get(a)?.match ?? 0) || a - b)[0];
    if (target === undefined)
      throw new MembershipError('Refused', 'no other live voter to hand leadership to');
  } else if (!others.includes(target)) {
    throw new MembershipError(
      'Refused',
      `node ${target} is not another voter (voters: ${status.confState.voters.join(', ')})`,
    );
  }
  const started = Date.now();
  try {
    await voter.raft.transferLeadership(target);
  } catch (error) {
    throw new MembershipError(
      'Unavailable',
      `leadership transfer to ${target} failed: ${(error as Error).message}`,
    );
  }
  const tookMs = Date.now() - started;
  logger.info('leadership transferred', { from: status.id, to: target, tookMs });
  return { from: status.id, to: target, term: voter.raft.status().term, tookMs };
}

/**
 * Voters the leader heard from recently. recentActive is cleared at every election timeout and
 * set again by the next answer (heartbeats every tick), so three looks 150 ms apart see a live one.
 */
async function liveVoters(voter: VoterControl): Promise<Set<number>> {
  const live = new Set<number>([voter.raft.status().id]);
  for (let look = 0; look < 3; look++) {
    for (const [id, p] of voter.raft.status().progress) if (p.recentActive) live.add(id);
    if (look < 2) await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return live;
}
