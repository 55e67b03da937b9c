/**
 * What controllers need from the cluster: the Kubernetes verbs over resources, errors as values.
 * The leader implements this over its API server and Raft store; tests use InProcessClusterClient.
 */
import type { StatusError } from '../../api/errors.ts';
import type { KubeList, KubeObject } from '../../api/types/meta.ts';
import type { ResourceRef } from '../../store/keys.ts';
import type { WatchEvent } from '../../store/watch-hub.ts';

export type { ResourceRef };

export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  readonly preconditions?: Preconditions;
  /** Default: the resource's default (Background for most; the API server decides). */
  readonly propagationPolicy?: PropagationPolicy;
  /** Pods: absent means the pod's terminationGracePeriodSeconds when it is bound. */
  readonly gracePeriodSeconds?: number;
}

export interface ClientListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ClientWatchOptions extends ClientListOptions {
  /** Resume after this revision (the list's resourceVersion or the last event seen). */
  readonly resourceVersion: string;
}

/** A running watch. `closed` settles when the stream ends: undefined (closed) or the error (410 Expired -> re-list). */
export interface ClientWatch {
  stop(): void;
  readonly closed: Promise<StatusError | undefined>;
}

export interface ClusterClient {
  list(ref: ResourceRef, options?: ClientListOptions): Promise<KubeList | StatusError>;
  /** Events after `resourceVersion` reach `sink` in revision order; BOOKMARKs advance the revision. */
  watch(
    ref: ResourceRef,
    options: ClientWatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<ClientWatch | StatusError>;
  get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | StatusError>;
  create(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError>;
  /** metadata.resourceVersion on the object, when set, is a precondition (409 Conflict if stale). */
  update(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError>;
  updateStatus(ref: ResourceRef, object: KubeObject): Promise<KubeObject | StatusError>;
  /** The object as deleted or as marked for deletion. */
  delete(
    ref: ResourceRef,
    namespace: string,
    name: string,
    options?: DeleteOptions,
  ): Promise<KubeObject | StatusError>;
}

export const PODS: ResourceRef = { group: '', resource: 'pods' };
export const NODES: ResourceRef = { group: '', resource: 'nodes' };
export const NAMESPACES: ResourceRef = { group: '', resource: 'namespaces' };
export const SERVICES: ResourceRef = { group: '', resource: 'services' };
export const ENDPOINTS: ResourceRef = { group: '', resource: 'endpoints' };
export const EVENTS: ResourceRef = { group: '', resource: 'events' };
export const PVCS: ResourceRef = { group: '', resource: 'persistentvolumeclaims' };
export const LEASES: ResourceRef = { group: 'coordination.k8s.io', resource: 'leases' };
export const REPLICASETS: ResourceRef = { group: 'apps', resource: 'replicasets' };
export const DEPLOYMENTS: ResourceRef = { group: 'apps', resource: 'deployments' };
export const STATEFULSETS: ResourceRef = { group: 'apps', resource: 'statefulsets' };
export const DAEMONSETS: ResourceRef = { group: 'apps', resource: 'daemonsets' };
export const CONTROLLERREVISIONS: ResourceRef = { group: 'apps', resource: 'controllerrevisions' };
export const JOBS: ResourceRef = { group: 'batch', resource: 'jobs' };
export const CRONJOBS: ResourceRef = { group: 'batch', resource: 'cronjobs' };
export const HPAS: ResourceRef = { group: 'autoscaling', resource: 'horizontalpodautoscalers' };
