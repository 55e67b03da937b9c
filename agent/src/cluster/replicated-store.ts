/**
 * The ObjectBackend of a voter: the API server's reads and writes over the replicated state.
 *
 *   write: propose([store tag][command]) -> committed on a majority -> applied here -> the
 *          store's result (a Status result is thrown as the StatusError it is)
 *   read:  readIndex() (the leader confirms it still leads and names its commit index; a
 *          follower asks the leader) -> applied >= that index here -> read the local store
 *   watch: readIndex(), then the local store's watch (history replay, then live applies)
 *
 * No leases: every read round costs one heartbeat round to a quorum, and in exchange a deposed
 * leader or a partitioned follower can never answer from stale state. Concurrent reads share
 * rounds (ReadBarrier below, as etcd's linearizableReadLoop does): 1,000 watches opened at once
 * cost a handful of ReadIndex rounds, not 1,000 heartbeat broadcasts that starve the Raft ticks
 * and depose the leader. Consensus failures become 503 with Retry-After (consensus-errors.ts).
 */

import type { RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { expired, StatusError } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { ObjectBackend, WatchEvent, WatchOptions, WatchStream } from '../apiserver/backend.ts';
import type {
  CreateCommand,
  DeleteCommand,
  ObjectCommand,
  UpdateCommand,
  UpdateStatusCommand,
} from '../store/commands.ts';
import type { ObjectKey, ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';
import type { WatchHandle } from '../store/watch-hub.ts';
import { toApiError } from './consensus-errors.ts';
import { type AppliedResult, type ReplicatedState, storeEntry } from './replicated-state.ts';

/** The part of RaftNode the backend uses (tests may hand in a fake). */
export type ConsensusNode = Pick<RaftNode<AppliedResult>, 'propose' | 'readIndex'>;

export class ReplicatedBackend implements ObjectBackend {
  readonly #node: ConsensusNode;
  readonly #state: ReplicatedState;
  readonly #reads: ReadBarrier;
  /** Live watches with a way to end them with an ERROR event (after a snapshot restore). */
  readonly #watches = new Set<{ handle: WatchHandle; sink: (event: WatchEvent) => void }>();

  constructor(node: ConsensusNode, state: ReplicatedState) {
    this.#node = node;
    this.#state = state;
    this.#reads = new ReadBarrier(() => node.readIndex());
    state.onRestore(() => this.#endWatches());
  }

  async get(key: ObjectKey): Promise<KubeObject> {
    await this.#barrier();
    // The store hands out frozen objects; handlers get their own copy to change.
    return structuredClone(orThrow(this.#state.store.get(key, key.namespace, key.name)));
  }

  async list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    await this.#barrier();
    return orThrow(this.#state.store.list(ref, options));
  }

  async create(command: CreateCommand): Promise<KubeObject> {
    return (await this.#write(command)).object;
  }

  async update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject> {
    return (await this.#write(command)).object;
  }

  async delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }> {
    return this.#write(command);
  }

  async watch(
    ref: ResourceRef,
    options: WatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<WatchStream> {
    // The replica must have applied at least what the client saw in its list on any agent.
    await this.#barrier();
    const { allowBookmarks, ...rest } = options;
    const handle = orThrow(
      this.#state.store.watch({ ...ref, ...rest, allowWatchBookmarks: allowBookmarks }, sink),
    );
    const entry = { handle, sink };
    this.#watches.add(entry);
    return {
      stop: () => {
        this.#watches.delete(entry);
        handle.stop();
      },
    };
  }

  /** Number of watches served from this replica. */
  get watchCount(): number {
    return this.#watches.size;
  }

  async #write(command: ObjectCommand): Promise<{ object: KubeObject; removed: boolean }> {
    let applied: AppliedResult;
    try {
      applied = await this.#node.propose(storeEntry(command));
    } catch (error) {
      throw toApiError(error, 'write');
    }
    if (applied.kind !== 'store') throw new Error(`a store command was answered by the ${applied.kind}`);
    const result = applied.result;
    if (!result.ok) throw StatusError.fromStatus(result.status);
    return { object: result.object, removed: result.removed };
  }

  async #barrier(): Promise<void> {
    try {
      await this.#reads.wait();
    } catch (error) {
      throw toApiError(error, 'read');
    }
  }

  /** A snapshot replaced the store: its watchers must re-list, as after a compaction. */
  #endWatches(): void {
    const gone = expired('the replica was restored from a snapshot; list again and watch from there');
    for (const { handle, sink } of this.#watches) {
      if (!handle.stopped) sink({ type: 'ERROR', object: gone.status, revision: 0 });
      handle.stop();
    }
    this.#watches.clear();
  }
}

/**
 * Shares ReadIndex rounds among concurrent reads. A read may only use a round that started after
 * it arrived (an earlier round's index may predate a write the reader already saw acknowledged),
 * so a read that finds a round in flight joins the next one, which starts when the current one
 * settles: at most one round in flight and one gathering, however many reads wait.
 */
export class ReadBarrier {
  readonly #readIndex: () => Promise<void>;
  #inFlight: Promise<void> | undefined;
  #gathering: Promise<void> | undefined;

  constructor(readIndex: () => Promise<void>) {
    this.#readIndex = readIndex;
  }

  wait(): Promise<void> {
    const current = this.#inFlight;
    if (current === undefined) return this.#start();
    this.#gathering ??= current
      .catch(() => undefined) // the failed round's readers got its error; the next round is new
      .then(() => {
        this.#gathering = undefined;
        return this.#start();
      });
    return this.#gathering;
  }

  #start(): Promise<void> {
    const round: Promise<void> = this.#readIndex().finally(() => {
      if (this.#inFlight === round) this.#inFlight = undefined;
    });
    this.#inFlight = round;
    return round;
  }
}

function orThrow<T>(value: T | StatusError): T {
  if (value instanceof StatusError) throw value;
  return value;
}
