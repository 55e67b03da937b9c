/**
 * What the kubelet needs from the control plane, and nothing more (Kubernetes' node authorizer
 * draws the same line): the pods bound to this node, the objects they reference, its own Node and
 * Lease, pod status writes and events. Errors are values: a StatusError (NotFound, Conflict, ...)
 * from the API, never a throw. The agent implements this over its API server; tests use
 * StoreNodeClient over an in-process ObjectStore.
 */
import type { StatusError } from '../api/errors.ts';
import type { Lease } from '../api/types/coordination.ts';
import type {
  ConfigMap,
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
} from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';

export type Result<T> = T | StatusError;

export interface PodEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly pod: Pod;
}

export interface PodWatch {
  stop(): void;
  /** Settles when the stream ends (undefined: stopped; an error: re-list and watch again). */
  readonly closed: Promise<StatusError | undefined>;
}

/** The pods bound to one node (spec.nodeName = node). */
export interface PodSource {
  listPods(nodeName: string): Promise<Result<{ pods: Pod[]; resourceVersion: string }>>;
  /** Changes after `resourceVersion`, in order. */
  watchPods(
    nodeName: string,
    resourceVersion: string,
    sink: (event: PodEvent) => void,
  ): Promise<Result<PodWatch>>;
}

export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly podName: string;
  readonly podUid: string;
}

export interface NodeClient extends PodSource {
  getPod(namespace: string, name: string): Promise<Result<Pod>>;
  /** Writes pod.status; pod.metadata.resourceVersion, when set, is a precondition. */
  updatePodStatus(pod: Pod): Promise<Result<Pod>>;
  /** Removes a pod whose containers are gone (grace 0), only if it still has this uid. */
  finalizePodDeletion(namespace: string, name: string, uid: string): Promise<Result<void>>;

  getConfigMap(namespace: string, name: string): Promise<Result<ConfigMap>>;
  getSecret(namespace: string, name: string): Promise<Result<Secret>>;
  serviceAccountToken(request: ServiceAccountTokenRequest): Promise<Result<string>>;

  getPersistentVolumeClaim(namespace: string, name: string): Promise<Result<PersistentVolumeClaim>>;
  /** Binds a claim: spec.volumeName and status.phase Bound in one call. */
  bindPersistentVolumeClaim(
    claim: PersistentVolumeClaim,
    volumeName: string,
  ): Promise<Result<PersistentVolumeClaim>>;
  getPersistentVolume(name: string): Promise<Result<PersistentVolume>>;
  listPersistentVolumes(labelSelector: string): Promise<Result<PersistentVolume[]>>;
  createPersistentVolume(volume: PersistentVolume): Promise<Result<PersistentVolume>>;
  updatePersistentVolumeStatus(volume: PersistentVolume): Promise<Result<PersistentVolume>>;
  deletePersistentVolume(name: string): Promise<Result<void>>;

  getNode(name: string): Promise<Result<Node>>;
  createNode(node: Node): Promise<Result<Node>>;
  updateNodeStatus(node: Node): Promise<Result<Node>>;
  getLease(namespace: string, name: string): Promise<Result<Lease>>;
  createLease(lease: Lease): Promise<Result<Lease>>;
  updateLease(lease: Lease): Promise<Result<Lease>>;

  recordEvent(event: Event): Promise<Result<void>>;
}
