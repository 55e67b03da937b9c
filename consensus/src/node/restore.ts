// Rebuilds a node's Raft state from its data directory: the WAL's snapshot, hard state and
// entries go into MemoryStorage, and the core starts from there with applied = snapshot index (the
// driver replays the entries after it into the state machine). A fresh directory bootstraps the
// membership from the configured peers, unless the node joins an existing cluster.

import { createRawNode, encodeConfChange, MemoryStorage, type RawNode } from '../core/index.ts';
import type { DurableLog, DurableState, Entry, HardState, NodeId, Snapshot, TornTail } from '../types.ts';
import type { Logger } from './logger.ts';

export interface RestoredNode {
  readonly rawNode: RawNode;
  readonly storage: MemoryStorage;
  readonly log: DurableLog;
  readonly hardState: HardState;
  /** The snapshot the state machine must be restored from before replaying entries. */
  readonly snapshot: Snapshot | undefined;
}

export interface RestoreOptions {
  readonly id: NodeId;
  readonly dataDir: string;
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly join: boolean;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly logger: Logger;
  readonly openWal: (
    dir: string,
  ) => Promise<{ log: DurableLog; state: DurableState; tornTail?: TornTail | undefined }>;
}

export async function restoreNode(options: RestoreOptions): Promise<RestoredNode> {
  const opened = await options.openWal(options.dataDir);
  const { log, tornTail } = opened;
  let state = opened.state;
  if (tornTail) {
    options.logger.warn('WAL had a torn tail (crash mid-write); truncated it', { ...tornTail });
  }
  const fresh = state.snapshot === undefined && state.entries.length === 0 && state.hardState.term === 0;
  if (fresh && !options.join) {
    const entries = bootstrapEntries(options.peers);
    const hardState: HardState = { term: 1, vote: 0, commit: entries.length };
    await log.save(hardState, entries, true);
    state = { hardState, entries, snapshot: undefined };
    options.logger.info('bootstrapped a new cluster', { voters: [...options.peers.keys()] });
  }
  // The membership before any logged conf change: the snapshot's, or none. Conf changes in the
  // log (the bootstrap's included) are re-applied by the driver as it replays committed entries.
  const storage = new MemoryStorage({ voters: [], learners: [] });
  if (state.snapshot) storage.applySnapshot(state.snapshot);
  storage.setHardState(state.hardState);
  storage.append(state.entries);
  const applied = state.snapshot?.metadata.index ?? 0;
  const rawNode = createRawNode({
    id: options.id,
    storage,
    electionTick: options.electionTick,
    heartbeatTick: options.heartbeatTick,
    applied,
    checkQuorum: true,
    preVote: true,
  });
  options.logger.info('node restored', {
    term: state.hardState.term,
    commit: state.hardState.commit,
    snapshotIndex: applied,
    entries: state.entries.length,
  });
  return {
    rawNode,
    storage,
    log,
    hardState: state.hardState,
    snapshot: state.snapshot,
  };
}

/** The founding membership as log entries 1..n: addVoter for each peer in id order, address as context. */
export function bootstrapEntries(peers: ReadonlyMap<NodeId, string>): Entry[] {
  return [...peers.entries()]
    .sort(([a], [b]) => a - b)
    .map(([nodeId, address], i) => ({
      term: 1,
      index: i + 1,
      type: 'confChange' as const,
      data: encodeConfChange({ type: 'addVoter', nodeId, context: new TextEncoder().encode(address) }),
    }));
}
