/**
 * The cluster-status document the dashboard reads: `GET /kedge/v1/cluster` on any voter, with the
 * admin bearer token (the same token the dashboard logs in with). One document per poll (1 s);
 * the page derives roles, the leader, the election and the agents it may fail over to from it.
 *
 * This is the shape `cluster/cluster-endpoint.ts` (clusterStatus) answers today; the page reads
 * only the fields below, so the agent may add more.
 */

/** What one agent says about itself (`GET /kedge/v1/node`). */
export interface MemberNodeStatus {
  readonly id: number;
  readonly name: string;
  /** leader | candidate (a voter that follows) | learner (joining, catching up) | worker */
  readonly role: 'leader' | 'candidate' | 'learner' | 'worker';
  /** Raft's own state: follower, preCandidate, candidate, leader; '' on workers. While it is
   * candidate or preCandidate the page shows the agent as campaigning. */
  readonly raftState: string;
  readonly term: number;
  /** The leader this agent believes in; 0 for none. */
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly apiAddress: string;
  readonly leaderComponents: readonly string[];
  readonly uptimeSeconds: number;
}

/** One member of the registry, with what the answering voter could learn of it just now. */
export interface ClusterMember {
  readonly id: number;
  /** The agent's name; also its Node object's metadata.name (CPU, memory, cordon, drain). */
  readonly name: string;
  /** Registry role: voter or worker. The Raft role is in `status.role`. */
  readonly role: 'voter' | 'worker';
  /** host:port of the agent's HTTPS port (API, /kedge/v1, /dashboard/): the page fails over here. */
  readonly apiAddress: string;
  readonly raftAddress: string;
  readonly joinedAt: string;
  /** Absent when the agent did not answer. */
  readonly status?: MemberNodeStatus;
  /** 'healthy', 'unhealthy (HTTP <code>)' or 'unreachable (<reason>)': the word before any
   * parenthesis is the health, the rest is shown as its reason. */
  readonly health: string;
  /** How many entries this voter has applied fewer than the most advanced voter. */
  readonly lag?: number;
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly desiredVoters: number;
  /** The answering voter's current term. */
  readonly term: number;
  /** The leader's member id as the answering voter knows it; 0 while an election runs. */
  readonly leader: number;
  readonly members: readonly ClusterMember[];
}

/** Where the page reads it. */
export const CLUSTER_STATUS_PATH = '/kedge/v1/cluster';
