import { type EndpointView, type Protocol, serviceKey } from '../endpoint-table-types.ts';
import { isHeadless, type ProxyService } from '../service-types.ts';

/** The kernel's view of one Service port: a chain that DNATs to one of its backends. */
export interface ServiceChain {
  /** `svc/<namespace>/<name>/<tcp|udp>/<port>`: stable across plans, so diffs touch only what changed. */
  readonly name: string;
  readonly protocol: Protocol;
  /** `ip:port` of the backends, in a stable order (so an unchanged set is an unchanged rule). */
  readonly backends: readonly string[];
  /** ClientIP affinity: the same client address hashes to the same backend (while the set is unchanged). */
  readonly affinity: boolean;
}

/** What `table ip kedge` should hold for these Services and this endpoint table. */
export interface NftPlan {
  readonly chains: ReadonlyMap<string, ServiceChain>;
  /** `<clusterIP> . <tcp|udp> . <port>` -> chain name (map service-ips). */
  readonly serviceIps: ReadonlyMap<string, string>;
  /** `<tcp|udp> . <port>` on any local address -> chain name (map service-nodeports). */
  readonly nodePorts: ReadonlyMap<string, string>;
}

/**
 * The kernel fast path's plan. Pure. Backends are chosen as the userspace Balancer does: ready
 * endpoints only, and the node's own endpoints alone when it has any. ClusterIPs need not be
 * bound for this path: DNAT happens before the address is looked up.
 */
export function planNft(services: readonly ProxyService[], view: EndpointView): NftPlan {
  const chains = new Map<string, ServiceChain>();
  const serviceIps = new Map<string, string>();
  const nodePorts = new Map<string, string>();
  for (const svc of services) {
    if (isHeadless(svc)) continue;
    const endpoints = view.get(serviceKey(svc.namespace, svc.name)) ?? [];
    for (const port of svc.ports) {
      const proto = port.protocol.toLowerCase();
      const ready = endpoints.filter(
        (e) => e.ready && e.portName === port.name && e.protocol === port.protocol,
      );
      const local = ready.filter((e) => e.local);
      const chosen = local.length > 0 ? local : ready;
      const name = `svc/${svc.namespace}/${svc.name}/${proto}/${port.port}`;
      chains.set(name, {
        name,
        protocol: port.protocol,
        backends: [...new Set(chosen.map((e) => `${e.ip}:${e.port}`))].sort(),
        affinity: svc.sessionAffinity === 'ClientIP',
      });
      serviceIps.set(`${svc.clusterIP} . ${proto} . ${port.port}`, name);
      if ((svc.type === 'NodePort' || svc.type === 'LoadBalancer') && port.nodePort)
        nodePorts.set(`${proto} . ${port.nodePort}`, name);
      // At the edge a LoadBalancer is every node opening the Service's own port (k3s servicelb).
      if (svc.type === 'LoadBalancer') nodePorts.set(`${proto} . ${port.port}`, name);
    }
  }
  return { chains, serviceIps, nodePorts };
}

export const EMPTY_NFT_PLAN: NftPlan = { chains: new Map(), serviceIps: new Map(), nodePorts: new Map() };
