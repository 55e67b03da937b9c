/**
 * The controllers' ClusterClient over the leader's ObjectBackend (the ReplicatedBackend: every
 * write a Raft proposal, every read behind a ReadIndex barrier). It does what the API server's
 * handlers add on top of the backend, so controllers see the same rules as kubectl users:
 *
 *   create: generateName -> admission (defaults, create-only fields, validation) -> uid, timestamp
 *   update: identity kept from the stored object -> admission (immutable fields) -> precondition rv
 *   delete: Foreground/Orphan -> the propagation finalizer is added first (the GC finishes it);
 *           a bound, running pod is deleted gracefully (its kubelet confirms with grace 0)
 *   watch:  the backend's watch; an ERROR event (410 after a snapshot restore) closes it
 *   bind:   the Binding subresource: spec.nodeName on an unbound pod, no pod-update admission
 *
 * Errors are values (StatusError); a failure that is not a Status becomes InternalError.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { badRequest, conflict, internalError, isStatusError, notFound, StatusError } from '../api/errors.ts';
import { nameSuffix } from '../api/generated-names.ts';
import { findResource, type ResourceInfo } from '../api/registry.ts';
import type { KubeList, KubeObject, Status } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import { apiAdmission } from '../apiserver/api-admission.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import { admitPriorityOnCreate, admitPriorityOnUpdate } from '../apiserver/priority-admission.ts';
import type {
  ClientListOptions,
  ClientWatch,
  ClientWatchOptions,
  ClusterClient,
  DeleteOptions,
  ResourceRef,
} from '../controllers/runtime/client.ts';
import type { WatchEvent } from '../store/watch-hub.ts';

export interface BackendClusterClientOptions {
  /** Milliseconds since the epoch (timestamps written by the client). */
  readonly now?: () => number;
  readonly newUid?: () => string;
}

export class BackendClusterClient implements ClusterClient {
  readonly #backend: ObjectBackend;
  readonly #now: () => number;
  readonly #newUid: () => string;

  constructor(backend: ObjectBackend, options: BackendClusterClientOptions = {}) {
    this.#backend = backend;
    this.#now = options.now ?? Date.now;
    this.#newUid = options.newUid ?? randomUUID;
  }

  list(ref: ResourceRef, options: ClientListOptions = {}): Promise<KubeList | StatusError> {
    return settle(() => this.#backend.list(ref, options));
  }

  async watch(
    ref: ResourceRef,
    options: ClientWatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<ClientWatch | StatusError> {
    let finish: (e: StatusError | undefined) => void = () => {};
    const closed = new Promise<StatusError | undefined>((resolve) => {
      finish = resolve;
    });
    let ended = false;
    const end = (e: StatusError | undefined) => {
      if (ended) return;
      ended = true;
      finish(e);
    };
    const stream = await settle(() =>
      this.#backend.watch(ref, { ...options, allowBookmarks: true }, (event) => {
        if (ended) return;
        if (event.type === 'ERROR') {
          end(StatusError.fromStatus(event.object as Status));
          return;
        }
        sink(event);
      }),
    );
    if (isStatusError(stream)) return stream;
    return {
      stop: () => {
        stream.stop();
        end(undefined);
      },
      closed: closed.then((e) => {
        stream.stop();
        return e;
      }),
    };
  }

  get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | StatusError> {
    return settle(() => this.#backend.get({ ...ref, namespace, name }));
  }

  async create(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    const info = resourceInfo(ref);
    if (isStatusError(info)) return info;
    return settle(async () => {
      const obj = structuredClone(object) as KubeObject;
      if (!info.namespaced) delete obj.metadata.namespace;
      if ((obj.metadata.name ?? '') === '' && obj.metadata.generateName !== undefined)
        obj.metadata.name = obj.metadata.generateName + nameSuffix(randomInt);
      const uid = this.#newUid();
      await admitPriorityOnCreate(this.#backend, info, obj);
      const admitted = apiAdmission.admitCreate(info, obj, uid);
      return this.#backend.create({
        op: 'create',
        ...ref,
        object: admitted,
        uid,
        creationTimestamp: timestamp(this.#now()),
      });
    });
  }

  update(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    return this.#write(ref, object, 'update');
  }

  updateStatus(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError> {
    return this.#write(ref, object, 'updateStatus');
  }

  async delete(
    ref: ResourceRef,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | StatusError> {
    return settle(async () => {
      const current = await this.#backend.get({ ...ref, namespace, name });
      if (options.preconditions?.uid !== undefined && options.preconditions.uid !== current.metadata.uid)
        throw conflict(ref, name, 'the object was replaced (its uid changed); it was not deleted');
      const finalizer =
        options.propagationPolicy === 'Foreground'
          ? 'foregroundDeletion'
          : options.propagationPolicy === 'Orphan'
            ? 'orphan'
            : undefined;
      const has = current.metadata.finalizers ?? [];
      if (
        finalizer !== undefined &&
        !has.includes(finalizer) &&
        current.metadata.deletionTimestamp === undefined
      ) {
        // Kubernetes adds the finalizer in the same write that marks the object; the backend has
        // no transaction, so it goes first: a failed delete after it leaves an object that the
        // next delete marks (the finalizer is already there) and the GC then finishes.
        const marked = structuredClone(current) as KubeObject;
        marked.metadata.finalizers = [...has, finalizer];
        await this.#backend.update({
          op: 'update',
          ...ref,
          object: marked,
          preconditions: {
            uid: current.metadata.uid ?? '',
            resourceVersion: current.metadata.resourceVersion ?? '',
          },
        });
      }
      const grace = gracePeriod(ref, current, options.gracePeriodSeconds);
      const { object } = await this.#backend.delete({
        op: 'delete',
        ...ref,
        namespace,
        name,
        deletionTimestamp: timestamp(this.#now()),
        ...(grace > 0 ? { gracePeriodSeconds: grace } : {}),
        ...(options.preconditions !== undefined ? { preconditions: options.preconditions } : {}),
      });
      return object;
    });
  }

  /**
   * The Binding subresource: puts an unbound pod (this uid) on `nodeName`. NotFound when it is gone,
   * Conflict when it was replaced or is already bound (to another node).
   */
  async bind(namespace: string, name: string, uid: string, nodeName: string): Promise<Pod | StatusError> {
    const ref = { group: '', resource: 'pods' };
    for (let attempt = 0; ; attempt++) {
      const result = await settle(async () => {
        const pod = (await this.#backend.get({ ...ref, namespace, name })) as Pod;
        if (pod.metadata.uid !== uid) throw notFound(ref, name);
        if (pod.metadata.deletionTimestamp !== undefined)
          throw conflict(ref, name, 'the pod is being deleted');
        const bound = pod.spec.nodeName ?? '';
        if (bound !== '') {
          if (bound === nodeName) return pod;
          throw conflict(ref, name, `pod ${namespace}/${name} is already assigned to node "${bound}"`);
        }
        pod.spec.nodeName = nodeName;
        const now = timestamp(this.#now());
        const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
        pod.status = { ...pod.status, conditions };
        return (await this.#backend.update({
          op: 'update',
          ...ref,
          object: pod,
          preconditions: { uid, resourceVersion: pod.metadata.resourceVersion ?? '' },
        })) as Pod;
      });
      // Someone changed the pod (labels, status) between our read and write: read again.
      if (isStatusError(result) && result.reason === 'Conflict' && attempt < 4) {
        const again = await this.get(ref, namespace, name);
        if (!isStatusError(again) && ((again as Pod).spec.nodeName ?? '') === '') continue;
      }
      return result;
    }
  }

  async #write(
    ref: ResourceRef,
    object: KubeObject,
    op: 'update' | 'updateStatus',
  ): Promise<KubeObject | StatusError> {
    const info = resourceInfo(ref);
    if (isStatusError(info)) return info;
    return settle(async () => {
      const namespace = info.namespaced ? (object.metadata.namespace ?? '') : '';
      const name = object.metadata.name ?? '';
      const old = await this.#backend.get({ ...ref, namespace, name });
      const next = structuredClone(object) as KubeObject;
      const rv = next.metadata.resourceVersion;
      next.metadata.uid = old.metadata.uid!;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp ?? null;
      if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation;
      if (old.metadata.deletionTimestamp !== undefined)
        next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      await admitPriorityOnUpdate(this.#backend, info, next, old);
      const admitted = apiAdmission.admitUpdate(info, next, old);
      return this.#backend.update({
        op,
        ...ref,
        object: admitted,
        preconditions: { uid: old.metadata.uid ?? '', ...(rv ? { resourceVersion: rv } : {}) },
      });
    });
  }
}

function resourceInfo(ref: ResourceRef): ResourceInfo | StatusError {
  return (
    findResource(ref.group, ref.resource) ??
    badRequest(`the server does not serve ${ref.resource}${ref.group ? `.${ref.group}` : ''}`)
  );
}

/** Kubernetes: a bound pod that has not finished is deleted gracefully, anything else at once. */
function gracePeriod(ref: ResourceRef, object: KubeObject, requested: number | undefined): number {
  if (ref.group !== '' || ref.resource !== 'pods') return requested ?? 0;
  const pod = object as Pod;
  if ((pod.spec.nodeName ?? '') === '') return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

/** Runs a backend call, turning a thrown StatusError into a value (and anything else into a 500). */
async function settle<T>(fn: () => Promise<T>): Promise<T | StatusError> {
  try {
    return await fn();
  } catch (error) {
    if (isStatusError(error)) return error;
    return internalError(`the control plane failed a request: ${(error as Error).message}`);
  }
}

/** RFC 3339, second precision, as Kubernetes writes timestamps. */
export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
