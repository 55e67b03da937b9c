/**
 * The node's Ingress proxy and (optionally) nft kernel fast path, fed like the userspace proxy:
 * Services, Ingresses and TLS Secrets from the API (informers over the node's client), endpoints
 * from the gossip table. Kept apart from service-data-plane.ts so either can change alone.
 *
 *   Services informer ──┐
 *   Ingresses informer ─┼─ change (debounce 20 ms) ─┬─> IngressProxy.update (route table, certificates)
 *   Secrets informer ───┘   (kubernetes.io/tls only) └─> NftFastPath.setServices
 *   gossip 'endpoints' ───── at once ───────────────────> both, with the new view
 *   Ingresses, gossip 'member' ─> IngressStatusKeeper: this node's address in status.loadBalancer
 *                                 (dead members' out; its own out on stop)
 */
import { IngressProxy } from '../../../proxy/src/ingress/ingress-proxy.ts';
import type { ProxyIngress, TlsSecret } from '../../../proxy/src/ingress/ingress-types.ts';
import { NftFastPath } from '../../../proxy/src/nft/nft-fast-path.ts';
import { ProxyError } from '../../../proxy/src/proxy-error.ts';
import type { ProxyService } from '../../../proxy/src/service-types.ts';
import { findResource } from '../api/registry.ts';
import type { Secret, Service } from '../api/types/core.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { type ClusterClient, type ResourceRef, SERVICES } from '../controllers/runtime/client.ts';
import { systemClock } from '../controllers/runtime/clock.ts';
import { Informer } from '../controllers/runtime/informer.ts';
import { type IngressPorts, ingressPortChoices, kernelFastPathWanted } from './edge-config.ts';
import { type ClassedIngress, type IngressClassObject, ingressesServedByKedge } from './ingress-class.ts';
import {
  deadMemberIps,
  type IngressStatusApi,
  IngressStatusKeeper,
  type IngressWithStatus,
  nodeLoadBalancerIngress,
} from './ingress-status.ts';
import type { NodeGossip } from './node-gossip.ts';
import { proxyServiceOf } from './service-feed.ts';

export const INGRESSES: ResourceRef = { group: 'networking.k8s.io', resource: 'ingresses' };
const INGRESS_CLASSES: ResourceRef = { group: 'networking.k8s.io', resource: 'ingressclasses' };
const SECRETS: ResourceRef = { group: '', resource: 'secrets' };

export interface EdgeDataPlaneOptions {
  readonly client: ClusterClient;
  readonly gossip: NodeGossip;
  readonly ingress?: IngressProxy;
  readonly fastPath?: NftFastPath;
  /** Keeps this node's address in the Ingresses' status (ingress-status.ts). */
  readonly ingressStatus?: IngressStatusKeeper;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
}

/** A kubernetes.io/tls Secret as the ingress proxy takes it (PEM decoded); undefined for others. Pure. */
export function tlsSecretOf(secret: Secret): TlsSecret | undefined {
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (secret.type !== 'kubernetes.io/tls' || crt === undefined || key === undefined) return undefined;
  return {
    namespace: secret.metadata.namespace ?? 'default',
    name: secret.metadata.name ?? '',
    cert: Buffer.from(crt, 'base64').toString('utf8'),
    key: Buffer.from(key, 'base64').toString('utf8'),
  };
}

/** Runs until the signal aborts. */
export function runEdgeDataPlane(o: EdgeDataPlaneOptions): void {
  const { ingress, fastPath, ingressStatus } = o;
  if (!ingress && !fastPath) return;
  const onError = (error: Error, what: string) => o.log(`edge data plane: ${what}: ${error.message}`);
  const informer = (ref: ResourceRef) => new Informer(o.client, ref, { clock: systemClock, onError });
  const services = informer(SERVICES);
  // Secrets are read only for the ingress proxy's certificates.
  const ingresses = ingress ? informer(INGRESSES) : undefined;
  const secrets = ingress ? informer(SECRETS) : undefined;
  // IngressClasses only where the API serves them (ingress-class.ts: else every Ingress is ours).
  const classes =
    ingress && findResource(INGRESS_CLASSES.group, INGRESS_CLASSES.resource)
      ? informer(INGRESS_CLASSES)
      : undefined;
  const informers = [services, ingresses, secrets, classes].filter((i) => i !== undefined);
  const host = o.gossip.host;
  const servedIngresses = () =>
    ingressesServedByKedge(
      (ingresses?.list() ?? []) as KubeObject[] as ClassedIngress[],
      classes?.list() as KubeObject[] as IngressClassObject[] | undefined,
    );

  let proxyServices: ProxyService[] = [];
  let proxyIngresses: ProxyIngress[] = [];
  let tlsSecrets: TlsSecret[] = [];
  // Problems are logged when they change, not on every endpoint update.
  let lastProblems = '';
  const publish = () => {
    const view = host.view();
    if (ingress) {
      const problems = ingress.update(proxyIngresses, proxyServices, view, tlsSecrets).join('\n');
      if (problems !== lastProblems && problems !== '') o.log(`ingress: ${problems}`);
      lastProblems = problems;
    }
    if (fastPath)
      void fastPath.setEndpoints(view).then((errors) => {
        for (const e of errors) o.log(e.message);
      });
  };

  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    timer = undefined;
    if (o.signal.aborted) return;
    proxyServices = (services.list() as unknown as Service[])
      .map(proxyServiceOf)
      .filter((s): s is ProxyService => s !== undefined);
    proxyIngresses = servedIngresses();
    tlsSecrets = ((secrets?.list() ?? []) as unknown as Secret[])
      .map(tlsSecretOf)
      .filter((s): s is TlsSecret => s !== undefined);
    if (fastPath)
      void fastPath.setServices(proxyServices).then((errors) => {
        for (const e of errors) o.log(e.message);
      });
    publish();
    syncStatus();
  };
  const syncStatus = () => {
    if (!ingressStatus || !ingresses || o.signal.aborted) return;
    void ingressStatus.sync(servedIngresses() as IngressWithStatus[], deadMemberIps(host));
  };
  const changed = () => {
    if (timer === undefined) timer = setTimeout(push, 20);
  };
  for (const i of informers) i.onChange(changed);
  host.addEventListener('endpoints', publish);
  // A member declared dead takes its address out of the Ingresses' status.
  host.addEventListener('member', syncStatus);
  o.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      host.removeEventListener('endpoints', publish);
      host.removeEventListener('member', syncStatus);
    },
    { once: true },
  );
  for (const i of informers) void i.run(o.signal).catch((e: unknown) => onError(e as Error, 'informer'));
}

export interface EdgeStartOptions {
  readonly address: string;
  readonly apiPort: number;
  readonly client: ClusterClient;
  readonly gossip: NodeGossip;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
  /** Where this node writes the Ingresses' status.loadBalancer; without it, status is left alone. */
  readonly ingressStatusApi?: IngressStatusApi;
  /** KEDGE_INGRESS_PORTS and KEDGE_KERNEL_FASTPATH (edge-config.ts); process.env when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface EdgeDataPlane {
  /** Where Ingress is served (undefined: off or could not bind). */
  readonly ingressPorts: IngressPorts | undefined;
  readonly kernelFastPath: boolean;
  stop(): Promise<void>;
}

/** Binds the Ingress proxy and starts the kernel fast path as edge-config.ts decides, then feeds them. */
export async function startEdgeDataPlane(o: EdgeStartOptions): Promise<EdgeDataPlane> {
  const env = o.env ?? process.env;
  let ingress: IngressProxy | undefined;
  let ingressPorts: IngressPorts | undefined;
  const choices = ingressPortChoices(o.address, o.apiPort, env.KEDGE_INGRESS_PORTS);
  if (choices instanceof Error) o.log(choices.message);
  else if (choices !== 'off')
    for (const ports of choices) {
      const candidate = new IngressProxy({
        address: o.address,
        httpPort: ports.http,
        httpsPort: ports.https,
      });
      const failed = await candidate.listen();
      if (failed === undefined) {
        ingress = candidate;
        ingressPorts = ports;
        break;
      }
      await candidate.close(0);
      o.log(`ingress: ${failed.message}`);
    }

  let fastPath: NftFastPath | undefined;
  const kernel = kernelFastPathWanted(o.address, env.KEDGE_KERNEL_FASTPATH);
  if (kernel.wanted) {
    const started = await NftFastPath.start();
    if (started instanceof ProxyError) o.log(started.message);
    else fastPath = started;
  }

  const ingressStatus =
    ingressPorts && o.ingressStatusApi
      ? new IngressStatusKeeper(
          o.address,
          nodeLoadBalancerIngress(o.address, ingressPorts),
          o.ingressStatusApi,
          o.log,
        )
      : undefined;
  runEdgeDataPlane({
    client: o.client,
    gossip: o.gossip,
    ...(ingress ? { ingress } : {}),
    ...(fastPath ? { fastPath } : {}),
    ...(ingressStatus ? { ingressStatus } : {}),
    signal: o.signal,
    log: o.log,
  });
  return {
    ingressPorts,
    kernelFastPath: fastPath !== undefined,
    async stop() {
      // Out of the status first: clients stop being sent here before the listeners close.
      await ingressStatus?.withdraw();
      await ingress?.close(2000);
      // The table goes with the agent: nobody would keep its DNAT rules up to date.
      for (const e of (await fastPath?.stop()) ?? []) o.log(e.message);
    },
  };
}
