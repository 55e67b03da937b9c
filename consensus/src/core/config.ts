import type { LogStorage, NodeId } from '../types.ts';
import { seededRandom } from './random.ts';

/** How one Raft member behaves. Times are in ticks; the driver decides how long a tick is. */
export interface RaftConfig {
  id: NodeId;
  storage: LogStorage;
  /** Followers campaign after a random [electionTick, 2*electionTick-1] ticks without a leader. Default 10. */
  electionTick?: number;
  /** The leader sends heartbeats every heartbeatTick ticks. Default 1. */
  heartbeatTick?: number;
  /** Last applied index on restart: committed entries up to it are not handed out again. */
  applied?: number;
  /** Bytes of entries per 'app' message (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Unacknowledged 'app' messages per follower in replicate mode. Default 256. */
  maxInflightMsgs?: number;
  /** Unacknowledged 'app' bytes per follower; 0 means no limit. Default 0. */
  maxInflightBytes?: number;
  /** Bytes of uncommitted entries the leader accepts; beyond it proposals are dropped. Default 64 MiB. */
  maxUncommittedEntriesSize?: number;
  /** Bytes of committed entries per Ready. Default maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /** The leader steps down without a quorum within an election timeout; followers keep a lease. Default true. */
  checkQuorum?: boolean;
  /** Campaign with a pre-election that does not bump terms. Default true. */
  preVote?: boolean;
  /** Followers refuse proposals (NotLeader) instead of forwarding them. Default false. */
  disableProposalForwarding?: boolean;
  /** [0,1) source for election timeouts. Default: a PRNG seeded with the id (never Math.random). */
  random?: () => number;
}

/** RaftConfig with every default filled in and checked. */
export interface ResolvedConfig {
  readonly id: NodeId;
  readonly storage: LogStorage;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly applied: number;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxCommittedSizePerReady: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly disableProposalForwarding: boolean;
  readonly random: () => number;
}

/** Fills defaults; throws a plain Error naming the field for a configuration that cannot work. */
export function resolveConfig(config: RaftConfig): ResolvedConfig {
  const electionTick = config.electionTick ?? 10;
  const heartbeatTick = config.heartbeatTick ?? 1;
  const maxSizePerMsg = config.maxSizePerMsg ?? 1024 * 1024;
  const resolved: ResolvedConfig = {
    id: config.id,
    storage: config.storage,
    electionTick,
    heartbeatTick,
    applied: config.applied ?? 0,
    maxSizePerMsg,
    maxInflightMsgs: config.maxInflightMsgs ?? 256,
    maxInflightBytes: config.maxInflightBytes ?? 0,
    maxUncommittedEntriesSize: config.maxUncommittedEntriesSize ?? 64 * 1024 * 1024,
    maxCommittedSizePerReady: config.maxCommittedSizePerReady ?? maxSizePerMsg,
    checkQuorum: config.checkQuorum ?? true,
    preVote: config.preVote ?? true,
    disableProposalForwarding: config.disableProposalForwarding ?? false,
    random: config.random ?? seededRandom(Math.imul(config.id, 0x9e3779b1)),
  };
  if (!Number.isSafeInteger(resolved.id) || resolved.id <= 0) {
    throw new Error(`RaftConfig.id must be a positive integer, got ${config.id}`);
  }
  if (!(heartbeatTick >= 1)) throw new Error('RaftConfig.heartbeatTick must be at least 1');
  if (!(electionTick > heartbeatTick)) {
    throw new Error('RaftConfig.electionTick must be greater than heartbeatTick (10x is usual)');
  }
  if (!(resolved.maxInflightMsgs >= 1)) throw new Error('RaftConfig.maxInflightMsgs must be at least 1');
  if (!(resolved.maxSizePerMsg >= 1)) throw new Error('RaftConfig.maxSizePerMsg must be at least 1');
  return resolved;
}
