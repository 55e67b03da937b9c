/**
 * The ObjectBackend over an external etcd cluster (`--datastore etcd://...`): the same API
 * semantics as the embedded store, with etcd's revision as the resourceVersion. Every agent's API
 * server talks to etcd directly; etcd's own Raft makes reads and writes linearizable, so there is
 * no read barrier here.
 *
 *   get    -> range one key
 *   list   -> etcd-list.ts (ranges at one revision, continue tokens)
 *   write  -> optimistic-write.ts (read, plan with store/planner.ts, txn on mod_revision, retry)
 *   watch  -> etcd-watch.ts (etcd watch with prev_kv, selector transitions, 410 when compacted)
 */
import type { Etcd3 } from 'etcd3';
import { notFound } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { ObjectBackend, WatchEvent, WatchOptions, WatchStream } from '../apiserver/backend.ts';
import type { CreateCommand, DeleteCommand, UpdateCommand, UpdateStatusCommand } from '../store/commands.ts';
import { type ObjectKey, objectPath, type ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';
import { unknownResource } from '../store/planner.ts';
import { policyFor, type ResourcePolicy } from '../store/policy.ts';
import { etcdToApiError } from './etcd-errors.ts';
import { DEFAULT_KEY_PREFIX, decodeValue, KeyLayout } from './etcd-keys.ts';
import { listFromEtcd } from './etcd-list.ts';
import { watchEtcd } from './etcd-watch.ts';
import { writeToEtcd } from './optimistic-write.ts';

export interface EtcdBackendOptions {
  /** Every key starts with it (default "/kedge"); several clusters may share one etcd. */
  readonly keyPrefix?: string;
  /** Reject namespaced creates into a missing or terminating namespace (default true). */
  readonly requireNamespace?: boolean;
}

export class EtcdBackend implements ObjectBackend {
  readonly #client: Etcd3;
  readonly #layout: KeyLayout;
  readonly #requireNamespace: boolean;

  constructor(client: Etcd3, options: EtcdBackendOptions = {}) {
    this.#client = client;
    this.#layout = new KeyLayout(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.#requireNamespace = options.requireNamespace ?? true;
  }

  async get(key: ObjectKey): Promise<KubeObject> {
    const policy = policyOf(key);
    const etcdKey = this.#layout.keyOfPath(
      policy,
      objectPath(policy.namespaced ? key.namespace : '', key.name),
    );
    let value: Awaited<ReturnType<Etcd3['kv']['range']>>;
    try {
      value = await this.#client.kv.range({ key: Buffer.from(etcdKey) });
    } catch (e) {
      throw etcdToApiError(e, `get ${policy.resource} "${key.name}"`);
    }
    const kv = value.kvs[0];
    if (kv === undefined) throw notFound(policy, key.name);
    return decodeValue(kv.value, kv.mod_revision, etcdKey);
  }

  async list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    return listFromEtcd(this.#client, this.#layout, policyOf(ref), options);
  }

  async create(command: CreateCommand): Promise<KubeObject> {
    return (await writeToEtcd(this.#client, this.#layout, command, this.#requireNamespace)).object;
  }

  async update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject> {
    return (await writeToEtcd(this.#client, this.#layout, command, this.#requireNamespace)).object;
  }

  async delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }> {
    return writeToEtcd(this.#client, this.#layout, command, this.#requireNamespace);
  }

  async watch(
    ref: ResourceRef,
    options: WatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<WatchStream> {
    return watchEtcd(this.#client, this.#layout, policyOf(ref), options, sink);
  }
}

function policyOf(ref: ResourceRef): ResourcePolicy {
  const policy = policyFor(ref);
  if (policy === undefined) throw unknownResource(ref);
  return policy;
}
