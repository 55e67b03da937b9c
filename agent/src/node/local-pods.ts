/**
 * The pods this node's kubelet runs, as the kubelet itself last saw them: specs from the pods it
 * lists and watches, status from the status it writes. Observed on the way through the kubelet's
 * NodeClient, so a readiness flip is known here even when the write to the API fails (control
 * plane down): the node's endpoint announcements never wait for the API.
 *
 *   API ── listPods / watchPods ──> kubelet        (spec, metadata, deletion)  ─┐
 *   kubelet ── updatePodStatus ──> API            (the kubelet's own status)   ─┼─> LocalPods ──change──> listeners
 *   kubelet ── finalizePodDeletion / DELETED                                   ─┘
 */
import { StatusError } from '../api/errors.ts';
import type { Pod } from '../api/types/pod.ts';
import type { NodeClient, PodEvent } from '../kubelet/node-client.ts';

export class LocalPods {
  readonly #pods = new Map<string, Pod>();
  /** Pods whose status the kubelet has written: its status wins over the API's copy. */
  readonly #statusByUid = new Map<string, Pod['status']>();
  readonly #listeners = new Set<() => void>();
  #listed = false;

  /**
   * Whether the kubelet has listed its pods once: before that, an empty list means "not known yet",
   * not "no pods" (a restarted agent must not withdraw the endpoints of pods that still run).
   */
  get listed(): boolean {
    return this.#listed;
  }

  list(): Pod[] {
    return [...this.#pods.values()];
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A pod as the API has it (list, watch). */
  observe(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (uid === undefined) return;
    const own = this.#statusByUid.get(uid);
    this.#set(uid, own !== undefined ? { ...pod, status: own } : pod);
  }

  /** The kubelet's own status for a pod. */
  observeStatus(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (uid === undefined || pod.status === undefined) return;
    this.#statusByUid.set(uid, pod.status);
    const known = this.#pods.get(uid);
    this.#set(uid, { ...(known ?? pod), status: pod.status });
  }

  /** Everything listed replaces what was known (a relist after a broken watch). */
  replaceAll(pods: readonly Pod[]): void {
    const first = !this.#listed;
    this.#listed = true;
    const live = new Set(pods.map((p) => p.metadata.uid));
    for (const uid of [...this.#pods.keys()]) if (!live.has(uid)) this.forget(uid);
    for (const p of pods) this.observe(p);
    if (first && pods.length === 0) this.#changed(); // "no pods" is news too
  }

  forget(uid: string): void {
    this.#statusByUid.delete(uid);
    if (this.#pods.delete(uid)) this.#changed();
  }

  #set(uid: string, pod: Pod): void {
    this.#pods.set(uid, pod);
    this.#changed();
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}

/** `client` with every pod the kubelet sees and every status it writes recorded in `pods`. */
export function observingNodeClient(client: NodeClient, pods: LocalPods): NodeClient {
  const c = client;
  return {
    async listPods(nodeName) {
      const listed = await c.listPods(nodeName);
      if (!(listed instanceof StatusError)) pods.replaceAll(listed.pods);
      return listed;
    },
    watchPods(nodeName, resourceVersion, sink) {
      return c.watchPods(nodeName, resourceVersion, (event: PodEvent) => {
        if (event.type === 'DELETED') pods.forget(event.pod.metadata.uid ?? '');
        else pods.observe(event.pod);
        sink(event);
      });
    },
    updatePodStatus(pod) {
      // Recorded before the write: the API may be unreachable, the kubelet's view is still true.
      pods.observeStatus(pod);
      return c.updatePodStatus(pod);
    },
    async finalizePodDeletion(namespace, name, uid) {
      pods.forget(uid);
      return c.finalizePodDeletion(namespace, name, uid);
    },
    getPod: (namespace, name) => c.getPod(namespace, name),
    getConfigMap: (namespace, name) => c.getConfigMap(namespace, name),
    getSecret: (namespace, name) => c.getSecret(namespace, name),
    serviceAccountToken: (request) => c.serviceAccountToken(request),
    getPersistentVolumeClaim: (namespace, name) => c.getPersistentVolumeClaim(namespace, name),
    bindPersistentVolumeClaim: (claim, volumeName) => c.bindPersistentVolumeClaim(claim, volumeName),
    getPersistentVolume: (name) => c.getPersistentVolume(name),
    listPersistentVolumes: (labelSelector) => c.listPersistentVolumes(labelSelector),
    createPersistentVolume: (volume) => c.createPersistentVolume(volume),
    updatePersistentVolumeStatus: (volume) => c.updatePersistentVolumeStatus(volume),
    deletePersistentVolume: (name) => c.deletePersistentVolume(name),
    getNode: (name) => c.getNode(name),
    createNode: (node) => c.createNode(node),
    updateNodeStatus: (node) => c.updateNodeStatus(node),
    getLease: (namespace, name) => c.getLease(namespace, name),
    createLease: (lease) => c.createLease(lease),
    updateLease: (lease) => c.updateLease(lease),
    recordEvent: (event) => c.recordEvent(event),
  };
}
