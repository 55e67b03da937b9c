/**
 * The API server's view of the object store. In the cluster the leader implements it by proposing
 * store commands through Raft and answering once they are applied (and a follower by forwarding);
 * tests implement it over the store directly. Every failure is a StatusError (NotFound, Conflict,
 * AlreadyExists, Expired, ServiceUnavailable, ...), which the server returns as it is.
 */
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { CreateCommand, DeleteCommand, UpdateCommand, UpdateStatusCommand } from '../store/commands.ts';
import type { ObjectKey, ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';
import type { SelectionOptions } from '../store/selection.ts';
import type { WatchEvent } from '../store/watch-hub.ts';

export type { WatchEvent } from '../store/watch-hub.ts';

export interface WatchOptions extends SelectionOptions {
  /** Replay every change after this revision, then go live; absent, "" or "0": ADDED for the current state. */
  readonly resourceVersion?: string;
  readonly allowBookmarks: boolean;
}

/** A running watch; stop() releases it (the client went away or the timeout passed). */
export interface WatchStream {
  stop(): void;
}

export interface ObjectBackend {
  get(key: ObjectKey): Promise<KubeObject>;
  list(ref: ResourceRef, options: ListOptions): Promise<KubeList>;
  create(command: CreateCommand): Promise<KubeObject>;
  update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject>;
  /** `removed` is false when the object stays, marked for deletion (finalizers, grace period). */
  delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }>;
  /**
   * Starts a watch: events go to `sink` in revision order, the replay first. Rejects with Expired
   * (410) when `resourceVersion` is older than the history the store keeps.
   */
  watch(ref: ResourceRef, options: WatchOptions, sink: (event: WatchEvent) => void): Promise<WatchStream>;
}
