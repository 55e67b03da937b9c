/**
 * The kubelet's NodeClient over the cluster API (ApiClient: HTTPS, the node's certificate): the
 * pods bound to this node (list + watch with fieldSelector spec.nodeName), the objects they
 * reference, its Node and Lease, pod status writes and events. Errors are values (StatusError).
 */
import { makeStatus, StatusError } from '../api/errors.ts';
import type { Lease } from '../api/types/coordination.ts';
import type {
  ConfigMap,
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  ServiceAccount,
} from '../api/types/core.ts';
import type { KubeObject, Status } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import type {
  NodeClient,
  PodEvent,
  PodWatch,
  Result,
  ServiceAccountTokenRequest,
} from '../kubelet/node-client.ts';
import { accountTokenOf, belongsTo } from '../serviceaccounts/token-secret.ts';
import type { ApiClient } from './api-client.ts';

/** How long a pod waits for its ServiceAccount's token to be made. */
const TOKEN_WAIT_MS = 5000;

const enc = encodeURIComponent;
const ns = (namespace: string, resource: string, name?: string, sub?: string) =>
  `/api/v1/namespaces/${enc(namespace)}/${resource}${name !== undefined ? `/${enc(name)}` : ''}${sub ? `/${sub}` : ''}`;
const cluster = (resource: string, name?: string, sub?: string) =>
  `/api/v1/${resource}${name !== undefined ? `/${enc(name)}` : ''}${sub ? `/${sub}` : ''}`;
const leases = (namespace: string, name?: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${enc(namespace)}/leases${name !== undefined ? `/${enc(name)}` : ''}`;

export class HttpNodeClient implements NodeClient {
  readonly #api: ApiClient;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<Result<T>> {
    const reply = await this.#api.call(method, path, body);
    return reply instanceof StatusError ? reply : (reply.json as T);
  }

  async listPods(nodeName: string): Promise<Result<{ pods: Pod[]; resourceVersion: string }>> {
    const list = await this.#json<{ items: Pod[]; metadata: { resourceVersion?: string } }>(
      'GET',
      `/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${nodeName}`)}`,
    );
    if (list instanceof StatusError) return list;
    return { pods: list.items, resourceVersion: list.metadata.resourceVersion ?? '0' };
  }

  async watchPods(
    nodeName: string,
    resourceVersion: string,
    sink: (event: PodEvent) => void,
  ): Promise<Result<PodWatch>> {
    let failure: StatusError | undefined;
    const path = `/api/v1/pods?watch=true&allowWatchBookmarks=true&fieldSelector=${enc(`spec.nodeName=${nodeName}`)}&resourceVersion=${enc(resourceVersion)}`;
    let stop: () => void = () => {};
    const stream = await this.#api.stream(path, (line) => {
      const event = JSON.parse(line) as { type: string; object: KubeObject | Status };
      if (event.type === 'ERROR') {
        failure = StatusError.fromStatus(event.object as Status);
        stop();
      } else if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
        sink({ type: event.type, pod: event.object as Pod });
      }
    });
    if (stream instanceof StatusError) return stream;
    stop = () => stream.stop();
    return {
      stop: () => stream.stop(),
      closed: stream.closed.then((e) => failure ?? e),
    };
  }

  getPod(namespace: string, name: string): Promise<Result<Pod>> {
    return this.#json('GET', ns(namespace, 'pods', name));
  }

  updatePodStatus(pod: Pod): Promise<Result<Pod>> {
    return this.#json(
      'PUT',
      ns(pod.metadata.namespace ?? 'default', 'pods', pod.metadata.name, 'status'),
      pod,
    );
  }

  async finalizePodDeletion(namespace: string, name: string, uid: string): Promise<Result<void>> {
    const out = await this.#json<Pod>('DELETE', ns(namespace, 'pods', name), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 0,
      preconditions: { uid },
    });
    return out instanceof StatusError ? out : undefined;
  }

  getConfigMap(namespace: string, name: string): Promise<Result<ConfigMap>> {
    return this.#json('GET', ns(namespace, 'configmaps', name));
  }

  getSecret(namespace: string, name: string): Promise<Result<Secret>> {
    return this.#json('GET', ns(namespace, 'secrets', name));
  }

  /**
   * The token of the pod's ServiceAccount, from its token Secret (serviceaccounts/). A new
   * namespace's account and token are made by the leader a moment after the namespace: wait for
   * them briefly rather than fail the pod's first sync.
   */
  async serviceAccountToken(request: ServiceAccountTokenRequest): Promise<Result<string>> {
    const deadline = Date.now() + TOKEN_WAIT_MS;
    for (;;) {
      const found = await this.#accountToken(request.namespace, request.serviceAccountName);
      if (typeof found === 'string' || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async #accountToken(namespace: string, account: string): Promise<Result<string>> {
    const sa = await this.#json<ServiceAccount>('GET', ns(namespace, 'serviceaccounts', account));
    if (sa instanceof StatusError) return sa;
    const secrets = await this.#json<{ items: Secret[] }>('GET', ns(namespace, 'secrets'));
    if (secrets instanceof StatusError) return secrets;
    const secret = secrets.items.find((s) => belongsTo(s, sa));
    const token = secret !== undefined ? accountTokenOf(secret)?.token : undefined;
    if (token !== undefined) return token;
    return StatusError.fromStatus(
      makeStatus(
        'NotFound',
        `ServiceAccount ${namespace}/${account} has no token Secret yet; the leader creates it`,
      ),
    );
  }

  getPersistentVolumeClaim(namespace: string, name: string): Promise<Result<PersistentVolumeClaim>> {
    return this.#json('GET', ns(namespace, 'persistentvolumeclaims', name));
  }

  async bindPersistentVolumeClaim(
    claim: PersistentVolumeClaim,
    volumeName: string,
  ): Promise<Result<PersistentVolumeClaim>> {
    const namespace = claim.metadata.namespace ?? 'default';
    const bound = await this.#json<PersistentVolumeClaim>(
      'PUT',
      ns(namespace, 'persistentvolumeclaims', claim.metadata.name),
      { ...claim, spec: { ...claim.spec, volumeName } },
    );
    if (bound instanceof StatusError) return bound;
    return this.#json('PUT', ns(namespace, 'persistentvolumeclaims', claim.metadata.name, 'status'), {
      ...bound,
      status: { ...bound.status, phase: 'Bound' },
    });
  }

  getPersistentVolume(name: string): Promise<Result<PersistentVolume>> {
    return this.#json('GET', cluster('persistentvolumes', name));
  }

  async listPersistentVolumes(labelSelector: string): Promise<Result<PersistentVolume[]>> {
    const list = await this.#json<{ items: PersistentVolume[] }>(
      'GET',
      `${cluster('persistentvolumes')}?labelSelector=${enc(labelSelector)}`,
    );
    return list instanceof StatusError ? list : list.items;
  }

  createPersistentVolume(volume: PersistentVolume): Promise<Result<PersistentVolume>> {
    return this.#json('POST', cluster('persistentvolumes'), volume);
  }

  updatePersistentVolumeStatus(volume: PersistentVolume): Promise<Result<PersistentVolume>> {
    return this.#json('PUT', cluster('persistentvolumes', volume.metadata.name, 'status'), volume);
  }

  async deletePersistentVolume(name: string): Promise<Result<void>> {
    const out = await this.#json('DELETE', cluster('persistentvolumes', name));
    return out instanceof StatusError ? out : undefined;
  }

  getNode(name: string): Promise<Result<Node>> {
    return this.#json('GET', cluster('nodes', name));
  }

  createNode(node: Node): Promise<Result<Node>> {
    return this.#json('POST', cluster('nodes'), node);
  }

  updateNodeStatus(node: Node): Promise<Result<Node>> {
    return this.#json('PUT', cluster('nodes', node.metadata.name, 'status'), node);
  }

  getLease(namespace: string, name: string): Promise<Result<Lease>> {
    return this.#json('GET', leases(namespace, name));
  }

  createLease(lease: Lease): Promise<Result<Lease>> {
    return this.#json('POST', leases(lease.metadata.namespace ?? 'kube-node-lease'), lease);
  }

  updateLease(lease: Lease): Promise<Result<Lease>> {
    return this.#json(
      'PUT',
      leases(lease.metadata.namespace ?? 'kube-node-lease', lease.metadata.name),
      lease,
    );
  }

  async recordEvent(event: Event): Promise<Result<void>> {
    const out = await this.#json('POST', ns(event.metadata.namespace ?? 'default', 'events'), event);
    return out instanceof StatusError ? out : undefined;
  }
}
