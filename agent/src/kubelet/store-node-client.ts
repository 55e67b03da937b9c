/**
 * NodeClient over an in-process ObjectStore, applying commands synchronously. It does what the API
 * server would add (defaulting, uids, timestamps, graceful pod deletion), so the kubelet runs
 * against it in tests exactly as it will against the API. Objects come back cloned (the store's
 * are frozen).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { applyDefaults, prepareForCreate } from '../api/defaults.ts';
import { badRequest, StatusError } from '../api/errors.ts';
import type { Lease } from '../api/types/coordination.ts';
import type {
  ConfigMap,
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
} from '../api/types/core.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import type { ObjectCommand } from '../store/commands.ts';
import type { ResourceRef } from '../store/keys.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { NodeClient, PodEvent, PodWatch, Result, ServiceAccountTokenRequest } from './node-client.ts';

const PODS: ResourceRef = { group: '', resource: 'pods' };
const CONFIGMAPS: ResourceRef = { group: '', resource: 'configmaps' };
const SECRETS: ResourceRef = { group: '', resource: 'secrets' };
const PVCS: ResourceRef = { group: '', resource: 'persistentvolumeclaims' };
const PVS: ResourceRef = { group: '', resource: 'persistentvolumes' };
const NODES: ResourceRef = { group: '', resource: 'nodes' };
const EVENTS: ResourceRef = { group: '', resource: 'events' };
const LEASES: ResourceRef = { group: 'coordination.k8s.io', resource: 'leases' };

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function kubeTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export class StoreNodeClient implements NodeClient {
  readonly store: ObjectStore;
  /** Tokens handed out, so tests can check what a pod received. */
  readonly issuedTokens = new Map<string, string>();

  constructor(store: ObjectStore) {
    this.store = store;
  }

  // ---- generic verbs (tests use them to play the user and the controllers) ----

  create<T extends KubeObject>(ref: ResourceRef, object: T): Result<T> {
    const obj = structuredClone(object);
    const key = `${ref.group}/${ref.resource}`;
    applyDefaults(key, obj);
    const uid = randomUUID();
    prepareForCreate(key, obj, uid);
    return this.run({ op: 'create', ...ref, object: obj, uid, creationTimestamp: kubeTime(new Date()) });
  }

  update<T extends KubeObject>(ref: ResourceRef, object: T): Result<T> {
    return this.run({ op: 'update', ...ref, object: structuredClone(object) });
  }

  get<T extends KubeObject>(ref: ResourceRef, namespace: string, name: string): Result<T> {
    const found = this.store.get(ref, namespace, name);
    return found instanceof StatusError ? found : (structuredClone(found) as T);
  }

  /** Pods bound to a node are deleted gracefully (the kubelet finishes the deletion), others at once. */
  delete(ref: ResourceRef, namespace: string, name: string, gracePeriodSeconds?: number): Result<KubeObject> {
    const current = this.store.get(ref, namespace, name);
    if (current instanceof StatusError) return current;
    let grace = gracePeriodSeconds ?? 0;
    if (ref.resource === 'pods' && ref.group === '' && gracePeriodSeconds === undefined) {
      const pod = current as Pod;
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      grace = pod.spec.nodeName && !terminal ? (pod.spec.terminationGracePeriodSeconds ?? 30) : 0;
    }
    return this.run({
      op: 'delete',
      ...ref,
      namespace,
      name,
      deletionTimestamp: kubeTime(new Date()),
      ...(grace > 0 ? { gracePeriodSeconds: grace } : {}),
    });
  }

  private run<T extends KubeObject>(cmd: ObjectCommand): Result<T> {
    const out = this.store.apply(cmd);
    const r = out.results[0];
    if (r === undefined) return badRequest('the store produced no result');
    return r.ok ? (structuredClone(r.object) as T) : new StatusError(r.status);
  }

  // ---- PodSource ----

  async listPods(nodeName: string) {
    const list = this.store.list(PODS, { fieldSelector: `spec.nodeName=${nodeName}` });
    if (list instanceof StatusError) return list;
    return {
      pods: list.items.map((p) => structuredClone(p) as Pod),
      resourceVersion: list.metadata.resourceVersion ?? '0',
    };
  }

  async watchPods(nodeName: string, resourceVersion: string, sink: (event: PodEvent) => void) {
    let settle: (e: StatusError | undefined) => void = () => {};
    const closed = new Promise<StatusError | undefined>((r) => {
      settle = r;
    });
    const handle = this.store.watch(
      { ...PODS, fieldSelector: `spec.nodeName=${nodeName}`, resourceVersion },
      (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')
          sink({ type: event.type, pod: structuredClone(event.object) as Pod });
      },
    );
    if (handle instanceof StatusError) return handle;
    const watch: PodWatch = {
      stop: () => {
        handle.stop();
        settle(undefined);
      },
      closed,
    };
    return watch;
  }

  // ---- NodeClient ----

  async getPod(namespace: string, name: string) {
    return this.get<Pod>(PODS, namespace, name);
  }

  async updatePodStatus(pod: Pod) {
    return this.run<Pod>({ op: 'updateStatus', ...PODS, object: structuredClone(pod) });
  }

  async finalizePodDeletion(namespace: string, name: string, uid: string): Promise<Result<void>> {
    const out = this.run({
      op: 'delete',
      ...PODS,
      namespace,
      name,
      deletionTimestamp: kubeTime(new Date()),
      preconditions: { uid },
    });
    return out instanceof StatusError ? out : undefined;
  }

  async getConfigMap(namespace: string, name: string) {
    return this.get<ConfigMap>(CONFIGMAPS, namespace, name);
  }

  async getSecret(namespace: string, name: string) {
    return this.get<Secret>(SECRETS, namespace, name);
  }

  async serviceAccountToken(request: ServiceAccountTokenRequest): Promise<Result<string>> {
    const token = `kedge-test.${request.namespace}.${request.serviceAccountName}.${randomBytes(12).toString('hex')}`;
    this.issuedTokens.set(request.podUid, token);
    return token;
  }

  async getPersistentVolumeClaim(namespace: string, name: string) {
    return this.get<PersistentVolumeClaim>(PVCS, namespace, name);
  }

  async bindPersistentVolumeClaim(claim: PersistentVolumeClaim, volumeName: string) {
    const spec = structuredClone(claim);
    spec.spec.volumeName = volumeName;
    const updated = this.run<PersistentVolumeClaim>({ op: 'update', ...PVCS, object: spec });
    if (updated instanceof StatusError) return updated;
    updated.status = { ...updated.status, phase: 'Bound' };
    return this.run<PersistentVolumeClaim>({ op: 'updateStatus', ...PVCS, object: updated });
  }

  async getPersistentVolume(name: string) {
    return this.get<PersistentVolume>(PVS, '', name);
  }

  async listPersistentVolumes(labelSelector: string) {
    const list = this.store.list(PVS, { labelSelector });
    if (list instanceof StatusError) return list;
    return list.items.map((v) => structuredClone(v) as PersistentVolume);
  }

  async createPersistentVolume(volume: PersistentVolume) {
    return this.create(PVS, volume);
  }

  async updatePersistentVolumeStatus(volume: PersistentVolume) {
    return this.run<PersistentVolume>({ op: 'updateStatus', ...PVS, object: structuredClone(volume) });
  }

  async deletePersistentVolume(name: string): Promise<Result<void>> {
    const out = this.delete(PVS, '', name, 0);
    return out instanceof StatusError ? out : undefined;
  }

  async getNode(name: string) {
    return this.get<Node>(NODES, '', name);
  }

  async createNode(node: Node) {
    return this.create(NODES, node);
  }

  async updateNodeStatus(node: Node) {
    return this.run<Node>({ op: 'updateStatus', ...NODES, object: structuredClone(node) });
  }

  async getLease(namespace: string, name: string) {
    return this.get<Lease>(LEASES, namespace, name);
  }

  async createLease(lease: Lease) {
    return this.create(LEASES, lease);
  }

  async updateLease(lease: Lease) {
    return this.update(LEASES, lease);
  }

  async recordEvent(event: Event): Promise<Result<void>> {
    const out = this.create(EVENTS, event);
    return out instanceof StatusError ? out : undefined;
  }
}
