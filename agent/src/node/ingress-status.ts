/**
 * Ingress status.loadBalancer.ingress: the addresses that serve an Ingress (what `kubectl get
 * ingress` shows as ADDRESS). Every agent serves every Ingress, so each one keeps its own entry
 * in and takes the entries of members gossip declared dead out; nobody owns the whole list.
 *
 *   Ingresses informer / gossip 'member' ──> nextLoadBalancerIngress (pure) ──changed──> PUT .../status
 *                                            (resourceVersion precondition: on 409 the informer
 *                                             brings the newer object and the list is recomputed)
 *   agent stop ──> its own entry out (a stopped agent serves nothing)
 */
import { StatusError } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { ClusterClient, ResourceRef } from '../controllers/runtime/client.ts';
import type { GossipHost } from '../gossip/gossip-host.ts';
import type { ApiClient } from './api-client.ts';
import type { IngressPorts } from './edge-config.ts';

const INGRESS_REF: ResourceRef = { group: 'networking.k8s.io', resource: 'ingresses' };

/** One entry of status.loadBalancer.ingress (networking.k8s.io/v1 IngressLoadBalancerIngress). */
export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly ports?: readonly { readonly port: number; readonly protocol: 'TCP'; readonly error?: string }[];
}

/** An Ingress as far as its status is concerned. */
export interface IngressWithStatus {
  readonly metadata: {
    readonly namespace?: string;
    readonly name?: string;
    readonly resourceVersion?: string;
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] } };
}

/** This node's entry: its address, with the ports only when they are not the standard 80 and 443. Pure. */
export function nodeLoadBalancerIngress(address: string, ports: IngressPorts): LoadBalancerIngress {
  if (ports.http === 80 && ports.https === 443) return { ip: address };
  return {
    ip: address,
    ports: [
      { port: ports.http, protocol: 'TCP' },
      { port: ports.https, protocol: 'TCP' },
    ],
  };
}

/**
 * The list after this node's update: `self` in (replacing its older entry for the same ip) or, when
 * `self` is undefined, this node's `address` out; entries of `deadIps` out; sorted by ip. Entries
 * without an ip (a hostname someone else set) stay. Undefined when the list would not change. Pure.
 */
export function nextLoadBalancerIngress(
  current: readonly LoadBalancerIngress[],
  address: string,
  self: LoadBalancerIngress | undefined,
  deadIps: ReadonlySet<string>,
): LoadBalancerIngress[] | undefined {
  const kept = current.filter((e) => e.ip === undefined || (e.ip !== address && !deadIps.has(e.ip)));
  const next = [...kept, ...(self ? [self] : [])].sort((a, b) =>
    (a.ip ?? a.hostname ?? '').localeCompare(b.ip ?? b.hostname ?? '', 'en'),
  );
  return canonical(next) === canonical(current) ? undefined : next;
}

function canonical(list: readonly LoadBalancerIngress[]): string {
  return JSON.stringify(
    [...list]
      .map((e) => ({ ip: e.ip, hostname: e.hostname, ports: e.ports }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b), 'en')),
  );
}

/** The IPs of the members gossip declared dead (from their gossip address `/ip4/<ip>/tcp/<port>`). */
export function deadMemberIps(host: GossipHost): Set<string> {
  const out = new Set<string>();
  for (const m of host.membership.digest()) {
    if (m.status !== 'dead') continue;
    for (const a of host.member(m.nodeId)?.addresses ?? []) {
      const ip = /^\/ip4\/([^/]+)\//.exec(a)?.[1];
      if (ip) out.add(ip);
    }
  }
  return out;
}

/**
 * Reading and writing an Ingress's status through the API. The write carries
 * metadata.resourceVersion as its precondition (409 Conflict when another agent wrote first).
 */
export interface IngressStatusApi {
  get(namespace: string, name: string): Promise<IngressWithStatus | StatusError>;
  putStatus(ingress: IngressWithStatus): Promise<IngressWithStatus | StatusError>;
}

/**
 * Keeps this node's entry in every Ingress's status (and dead members' entries out). One write in
 * flight per Ingress; what changes meanwhile is picked up by the next sync, which the informer
 * triggers when it delivers the object written (or the newer one that made the write conflict).
 */
export class IngressStatusKeeper {
  readonly #address: string;
  readonly #api: IngressStatusApi;
  readonly #log: (message: string) => void;
  #self: LoadBalancerIngress | undefined;
  readonly #writing = new Map<string, Promise<void>>();
  #known: readonly IngressWithStatus[] = [];

  constructor(address: string, self: LoadBalancerIngress, api: IngressStatusApi, log: (m: string) => void) {
    this.#address = address;
    this.#self = self;
    this.#api = api;
    this.#log = log;
  }

  /** Brings every Ingress's list up to date; resolves when the writes it started are done. */
  async sync(ingresses: readonly IngressWithStatus[], deadIps: ReadonlySet<string>): Promise<void> {
    this.#known = ingresses;
    const started: Promise<void>[] = [];
    for (const ing of ingresses) {
      const key = `${ing.metadata.namespace ?? 'default'}/${ing.metadata.name ?? ''}`;
      if (this.#writing.has(key)) continue;
      const next = nextLoadBalancerIngress(
        ing.status?.loadBalancer?.ingress ?? [],
        this.#address,
        this.#self,
        deadIps,
      );
      if (!next) continue;
      const write = this.#api
        .putStatus({
          ...ing,
          status: { ...ing.status, loadBalancer: { ...ing.status?.loadBalancer, ingress: next } },
        })
        .then((written) => {
          this.#writing.delete(key);
          // A conflict is routine (another agent wrote first): the informer brings its version.
          if (written instanceof StatusError && written.code !== 409)
            this.#log(`ingress status of ${key}: ${written.message}`);
        });
      this.#writing.set(key, write);
      started.push(write);
    }
    await Promise.all(started);
  }

  /**
   * Takes this node's entry out of every Ingress (the agent stops serving them), reading each one
   * afresh: the informer has stopped, and its copies may predate our own last write.
   */
  async withdraw(): Promise<void> {
    this.#self = undefined;
    await Promise.all(this.#writing.values());
    const fresh: IngressWithStatus[] = [];
    for (const ing of this.#known) {
      const got = await this.#api.get(ing.metadata.namespace ?? 'default', ing.metadata.name ?? '');
      if (got instanceof StatusError)
        this.#log(`ingress status: cannot read ${ing.metadata.name}: ${got.message}`);
      else fresh.push(got);
    }
    await this.sync(fresh, new Set());
  }
}

/** The status API over a ClusterClient (an in-process store in tests, or any writer). */
export function ingressStatusApiOfClient(client: ClusterClient): IngressStatusApi {
  const result = (r: KubeObject | StatusError) => (r instanceof StatusError ? r : (r as IngressWithStatus));
  return {
    get: async (namespace, name) => result(await client.get(INGRESS_REF, namespace, name)),
    putStatus: async (ingress) => result(await client.updateStatus(INGRESS_REF, ingress as KubeObject)),
  };
}

/** The status API over the agent's ApiClient (node certificate): GET the Ingress, PUT its status. */
export function ingressStatusApiOverHttp(api: ApiClient): IngressStatusApi {
  const path = (namespace: string, name: string) =>
    `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/ingresses/${encodeURIComponent(name)}`;
  return {
    async get(namespace, name) {
      const reply = await api.call('GET', path(namespace, name));
      return reply instanceof StatusError ? reply : (reply.json as IngressWithStatus);
    },
    async putStatus(ingress) {
      const { namespace = 'default', name = '' } = ingress.metadata;
      const reply = await api.call('PUT', `${path(namespace, name)}/status`, ingress);
      return reply instanceof StatusError ? reply : (reply.json as IngressWithStatus);
    },
  };
}
