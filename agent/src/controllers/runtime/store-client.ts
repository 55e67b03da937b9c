/**
 * ClusterClient over an in-process ObjectStore, applying commands synchronously: what the API
 * server adds on top of the store is done here the way Kubernetes does it (defaulting, uids,
 * timestamps, generateName, the propagation finalizers of a delete, pod graceful deletion), so
 * controllers run against it in tests exactly as they would against the leader.
 */
import { applyDefaults, prepareForCreate } from '../../api/defaults.ts';
import {
  badRequest,
  isStatusError,
  type StatusError,
  StatusError as StatusErrorClass,
} from '../../api/errors.ts';
import { nameSuffix, pickWith } from '../../api/generated-names.ts';
import type { KubeList, KubeObject } from '../../api/types/meta.ts';
import type { Pod } from '../../api/types/pod.ts';
import type { ObjectCommand } from '../../store/commands.ts';
import type { ObjectStore } from '../../store/object-store.ts';
import type { WatchEvent } from '../../store/watch-hub.ts';
import type {
  ClientListOptions,
  ClientWatch,
  ClientWatchOptions,
  ClusterClient,
  DeleteOptions,
  ResourceRef,
} from './client.ts';
import { type Clock, timestamp } from './clock.ts';

export interface InProcessClientOptions {
  readonly clock: Clock;
  /** Source of randomness for generateName suffixes (default: a counter-seeded generator). */
  readonly random?: () => number;
  /** Every write goes through here first (tests use it to count or to fail writes). */
  readonly beforeWrite?: (cmd: ObjectCommand) => StatusError | undefined;
}

export class InProcessClusterClient implements ClusterClient {
  private uidCounter = 0;
  private readonly watches = new Set<{ stop(): void; close(e?: StatusError): void }>();
  readonly store: ObjectStore;
  private readonly options: InProcessClientOptions;

  constructor(store: ObjectStore, options: InProcessClientOptions) {
    this.store = store;
    this.options = options;
  }

  async list(ref: ResourceRef, options: ClientListOptions = {}): Promise<KubeList | StatusError> {
    return this.store.list(ref, options);
  }

  async watch(
    ref: ResourceRef,
    options: ClientWatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<ClientWatch | StatusError> {
    const handle = this.store.watch({ ...ref, ...options }, sink);
    if (isStatusError(handle)) return handle;
    let resolve: (e: StatusError | undefined) => void = () => {};
    const closed = new Promise<StatusError | undefined>((r) => {
      resolve = r;
    });
    const entry = {
      stop: () => {
        handle.stop();
        this.watches.delete(entry);
        resolve(undefined);
      },
      close: (e?: StatusError) => {
        handle.stop();
        this.watches.delete(entry);
        resolve(e);
      },
    };
    this.watches.add(entry);
    return { stop: entry.stop, closed };
  }

  /** Ends every open watch, as a dropped connection would (tests check that informers resume). */
  disconnectWatches(error?: StatusError): void {
    for (const w of [...this.watches]) w.close(error);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  async get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | StatusError> {
    return this.store.get(ref, namespace, name);
  }

  async create(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    const obj = structuredClone(object);
    if ((obj.metadata.name ?? '') === '' && obj.metadata.generateName !== undefined)
      obj.metadata.name = obj.metadata.generateName + this.suffix();
    const key = `${ref.group}/${ref.resource}`;
    applyDefaults(key, obj);
    const uid = this.nextUid();
    prepareForCreate(key, obj, uid);
    return this.run({
      op: 'create',
      group: ref.group,
      resource: ref.resource,
      object: obj,
      uid,
      creationTimestamp: timestamp(this.options.clock.now()),
    });
  }

  async update(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    return this.run({ op: 'update', group: ref.group, resource: ref.resource, object });
  }

  async updateStatus(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    return this.run({ op: 'updateStatus', group: ref.group, resource: ref.resource, object });
  }

  async delete(
    ref: ResourceRef,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | StatusError> {
    const current = this.store.get(ref, namespace, name);
    if (isStatusError(current)) return current;
    const deletionTimestamp = timestamp(this.options.clock.now());
    const grace = this.graceFor(ref, current, options.gracePeriodSeconds);
    const finalizer =
      options.propagationPolicy === 'Foreground'
        ? 'foregroundDeletion'
        : options.propagationPolicy === 'Orphan'
          ? 'orphan'
          : undefined;
    const del: ObjectCommand = {
      op: 'delete',
      group: ref.group,
      resource: ref.resource,
      namespace,
      name,
      deletionTimestamp,
      ...(grace > 0 ? { gracePeriodSeconds: grace } : {}),
      ...(options.preconditions !== undefined ? { preconditions: options.preconditions } : {}),
    };
    const has = current.metadata.finalizers ?? [];
    if (
      finalizer === undefined ||
      has.includes(finalizer) ||
      current.metadata.deletionTimestamp !== undefined
    )
      return this.run(del);
    // The API server adds the propagation finalizer in the same write that marks the object.
    const marked = structuredClone(current) as KubeObject;
    marked.metadata.finalizers = [...has, finalizer];
    const out = this.store.apply({
      op: 'txn',
      commands: [{ op: 'update', group: ref.group, resource: ref.resource, object: marked }, del],
    });
    const r = out.results[1];
    if (r === undefined) return badRequest('delete produced no result');
    return r.ok ? r.object : new StatusErrorClass(r.status);
  }

  /** Kubernetes: a bound, non-terminal pod is deleted gracefully; anything else at once. */
  private graceFor(ref: ResourceRef, obj: KubeObject, requested: number | undefined): number {
    if (ref.group !== '' || ref.resource !== 'pods') return requested ?? 0;
    const pod = obj as Pod;
    if ((pod.spec.nodeName ?? '') === '') return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  }

  private run(cmd: ObjectCommand): KubeObject | StatusError {
    const refused = this.options.beforeWrite?.(cmd);
    if (refused !== undefined) return refused;
    const out = this.store.apply(cmd);
    const r = out.results[0];
    if (r === undefined) return badRequest('store produced no result');
    return r.ok ? r.object : new StatusErrorClass(r.status);
  }

  private nextUid(): string {
    this.uidCounter++;
    return `00000000-0000-4000-8000-${this.uidCounter.toString(16).padStart(12, '0')}`;
  }

  private suffix(): string {
    return nameSuffix(pickWith(this.options.random ?? Math.random));
  }
}
