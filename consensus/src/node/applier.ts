// The apply side of the driver: committed entries and snapshots into the user's state machine,
// membership changes into the core and the transport, and periodic snapshots + log compaction.
// It owns what "applied" means: the index, the membership and the members' addresses as of it.

import type { MemoryStorage, RawNode } from '../core/index.ts';
import { decodeConfChange } from '../core/index.ts';
import type {
  ConfChange,
  ConfState,
  DurableLog,
  Entry,
  NodeId,
  Snapshot,
  StateMachine,
  Transport,
} from '../types.ts';
import { type ProposalId, unwrapProposal, unwrapSnapshot, wrapSnapshot } from './envelope.ts';
import type { Logger } from './logger.ts';

export interface ApplierOptions<Result> {
  readonly self: NodeId;
  /** This process's incarnation: only entries proposed by it resolve local promises. */
  readonly incarnation: number;
  readonly stateMachine: StateMachine<Result>;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly snapshotEntries: number;
  readonly catchUpEntries: number;
  /** Addresses known before any conf change is applied (the configured peers). */
  readonly addresses: ReadonlyMap<NodeId, string>;
  readonly onProposalApplied: (seq: number, result: Result) => void;
  readonly onConfChangeApplied: (change: ConfChange, confState: ConfState) => void;
}

export class Applier<Result> {
  readonly #o: ApplierOptions<Result>;
  #applied = 0;
  #snapshotIndex = 0;
  #confState: ConfState = { voters: [], learners: [] };
  #addresses: Map<NodeId, string>;

  constructor(options: ApplierOptions<Result>) {
    this.#o = options;
    this.#addresses = new Map(options.addresses);
  }

  get applied(): number {
    return this.#applied;
  }

  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  get confState(): ConfState {
    return this.#confState;
  }

  /** Tells the transport where every current member is. */
  syncPeers(): void {
    const { self, transport } = this.#o;
    for (const id of [...this.#confState.voters, ...this.#confState.learners]) {
      const address = this.#addresses.get(id);
      if (id !== self && address) transport.addPeer(id, address);
    }
  }

  /** Replaces the state machine's state with a snapshot (on restart, or one sent by the leader). */
  async restoreSnapshot(snapshot: Snapshot): Promise<void> {
    const unwrapped = unwrapSnapshot(snapshot.data);
    await this.#o.stateMachine.restore(unwrapped.data);
    this.#addresses = unwrapped.addresses;
    this.#confState = snapshot.metadata.confState;
    this.#applied = snapshot.metadata.index;
    this.#snapshotIndex = snapshot.metadata.index;
    this.syncPeers();
    this.#o.logger.info('restored snapshot', { index: this.#applied });
  }

  /** Applies committed entries in order; normal ones in batches between membership changes. */
  async applyEntries(entries: readonly Entry[], rawNode: RawNode, storage: MemoryStorage): Promise<void> {
    let batch: Entry[] = [];
    let ids: ProposalId[] = [];
    for (const entry of entries) {
      if (entry.index <= this.#applied) continue;
      if (entry.type === 'confChange') {
        await this.#applyBatch(batch, ids);
        batch = [];
        ids = [];
        this.#applyConfChange(entry, rawNode, storage);
      } else if (entry.data.length > 0) {
        // Empty entries are the leaders' term-start no-ops: nothing for the state machine.
        const { id, data } = unwrapProposal(entry.data);
        batch.push({ term: entry.term, index: entry.index, type: 'normal', data });
        ids.push(id);
      }
      this.#applied = entry.index;
    }
    await this.#applyBatch(batch, ids);
  }

  /** Snapshots the state machine and compacts the log once snapshotEntries were applied since the last one. */
  async maybeSnapshot(storage: MemoryStorage, log: DurableLog): Promise<void> {
    const { snapshotEntries, catchUpEntries, stateMachine, logger } = this.#o;
    const applied = this.#applied;
    if (applied - this.#snapshotIndex < snapshotEntries) return;
    const data = wrapSnapshot(this.#addresses, await stateMachine.snapshot());
    const snapshot = storage.createSnapshot(applied, this.#confState, data);
    await log.saveSnapshot(snapshot);
    this.#snapshotIndex = applied;
    // Keep some entries behind the snapshot: a follower slightly behind then needs no snapshot.
    const compactTo = applied - catchUpEntries;
    if (compactTo > storage.firstIndex()) storage.compact(compactTo);
    logger.info('snapshot taken', { index: applied, bytes: data.length, compactedTo: compactTo });
  }

  async #applyBatch(batch: Entry[], ids: ProposalId[]): Promise<void> {
    if (batch.length === 0) return;
    const { self, incarnation, stateMachine, onProposalApplied } = this.#o;
    const results = await stateMachine.apply(batch);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id.proposer === self && id.incarnation === incarnation)
        onProposalApplied(id.seq, results[i] as Result);
    }
  }

  #applyConfChange(entry: Entry, rawNode: RawNode, storage: MemoryStorage): void {
    const { self, transport, logger } = this.#o;
    const change = decodeConfChange(entry.data);
    this.#confState = rawNode.applyConfChange(change);
    storage.setConfState(this.#confState);
    if (change.type === 'removeNode') {
      this.#addresses.delete(change.nodeId);
      if (change.nodeId !== self) transport.removePeer(change.nodeId);
    } else if (change.context && change.context.length > 0) {
      this.#addresses.set(change.nodeId, Buffer.from(change.context).toString('utf8'));
    }
    this.syncPeers();
    this.#o.onConfChangeApplied(change, this.#confState);
    logger.info('membership changed', { index: entry.index, change: change.type, node: change.nodeId });
  }
}
