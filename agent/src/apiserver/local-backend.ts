/**
 * A single-node ObjectBackend: commands are applied to an in-process ObjectStore at once, with no
 * Raft. For tests and for a one-box development cluster; the clustered backend proposes the same
 * commands through consensus instead.
 */
import { StatusError } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type {
  CreateCommand,
  DeleteCommand,
  ObjectCommand,
  UpdateCommand,
  UpdateStatusCommand,
} from '../store/commands.ts';
import type { ObjectKey, ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { ObjectBackend, WatchEvent, WatchOptions, WatchStream } from './backend.ts';

export class LocalBackend implements ObjectBackend {
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  async get(key: ObjectKey): Promise<KubeObject> {
    // The store hands out frozen objects; handlers get their own copy to change.
    return structuredClone(orThrow(this.store.get(key, key.namespace, key.name)));
  }

  async list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    return orThrow(this.store.list(ref, options));
  }

  async create(command: CreateCommand): Promise<KubeObject> {
    return this.apply(command).object;
  }

  async update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject> {
    return this.apply(command).object;
  }

  async delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }> {
    return this.apply(command);
  }

  async watch(
    ref: ResourceRef,
    options: WatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<WatchStream> {
    const { allowBookmarks, ...rest } = options;
    return orThrow(this.store.watch({ ...ref, ...rest, allowWatchBookmarks: allowBookmarks }, sink));
  }

  private apply(command: ObjectCommand): { object: KubeObject; removed: boolean } {
    const result = this.store.apply(command).results[0];
    if (result === undefined) throw new Error(`the store returned no result for ${command.op}`);
    if (!result.ok) throw StatusError.fromStatus(result.status);
    return { object: result.object, removed: result.removed };
  }
}

function orThrow<T>(value: T | StatusError): T {
  if (value instanceof StatusError) throw value;
  return value;
}
