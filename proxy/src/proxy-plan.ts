import { type EndpointView, type Protocol, serviceKey } from './endpoint-table-types.ts';
import { isHeadless, type ProxyService } from './service-types.ts';

/** A backend the balancer may choose: a ready endpoint of the Service port. */
export interface Backend {
  readonly ip: string;
  readonly port: number;
  readonly nodeId: string;
  readonly local: boolean;
}

/** One socket the proxy listens on and what it balances over. */
export interface ListenerPlan {
  /** `<protocol>/<address>/<port>`: identity of the listener across plans. */
  readonly key: string;
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  readonly service: string;
  readonly portName: string;
  readonly backends: readonly Backend[];
  /** ClientIP affinity timeout, when the Service asks for stickiness. */
  readonly affinityTimeoutMs: number | undefined;
}

export interface ProxyPlanOptions {
  /**
   * 'virtual': ClusterIPs are bound on a dummy interface (the agent has CAP_NET_ADMIN).
   * 'loopback': unprivileged; a ClusterIP is listened on only if it is in 127.0.0.0/8 (configure
   * the cluster's service range there), other ClusterIPs are reached through NodePorts.
   */
  readonly clusterIpMode: 'virtual' | 'loopback';
  /** The node's addresses, where NodePorts and LoadBalancer ports open. */
  readonly nodeAddresses: readonly string[];
}

export interface ProxyPlan {
  readonly listeners: ReadonlyMap<string, ListenerPlan>;
  /** Why some Service ports get no ClusterIP listener here, for the operator. */
  readonly skipped: readonly string[];
}

const DEFAULT_AFFINITY_SECONDS = 10_800;

/** What the proxy should look like for these Services and this endpoint table. Pure. */
export function planProxy(
  services: readonly ProxyService[],
  view: EndpointView,
  options: ProxyPlanOptions,
): ProxyPlan {
  const listeners = new Map<string, ListenerPlan>();
  const skipped: string[] = [];
  for (const svc of services) {
    if (isHeadless(svc)) continue; // headless: DNS hands out pod addresses, no proxying
    const key = serviceKey(svc.namespace, svc.name);
    const endpoints = view.get(key) ?? [];
    const affinityTimeoutMs =
      svc.sessionAffinity === 'ClientIP'
        ? (svc.affinityTimeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) * 1000
        : undefined;
    for (const port of svc.ports) {
      const backends = endpoints
        .filter((e) => e.ready && e.portName === port.name && e.protocol === port.protocol)
        .map((e) => ({ ip: e.ip, port: e.port, nodeId: e.nodeId, local: e.local }));
      const add = (address: string, listenPort: number) => {
        const k = `${port.protocol}/${address}/${listenPort}`;
        listeners.set(k, {
          key: k,
          protocol: port.protocol,
          address,
          port: listenPort,
          service: key,
          portName: port.name,
          backends,
          affinityTimeoutMs,
        });
      };
      if (options.clusterIpMode === 'virtual' || svc.clusterIP.startsWith('127.'))
        add(svc.clusterIP, port.port);
      else
        skipped.push(`${key}:${port.port}/${port.protocol}: ClusterIP ${svc.clusterIP} needs CAP_NET_ADMIN`);
      if ((svc.type === 'NodePort' || svc.type === 'LoadBalancer') && port.nodePort) {
        for (const a of options.nodeAddresses) add(a, port.nodePort);
      }
      // At the edge a LoadBalancer is every node opening the Service's own port (k3s servicelb).
      if (svc.type === 'LoadBalancer') for (const a of options.nodeAddresses) add(a, port.port);
    }
  }
  return { listeners, skipped };
}

/** The changes that take the running proxy from one plan to the next. */
export interface ProxyDiff {
  readonly open: ListenerPlan[];
  readonly close: string[];
  /** Listeners that stay but whose backends or affinity changed. */
  readonly update: ListenerPlan[];
}

export function diffPlans(current: ReadonlyMap<string, ListenerPlan>, desired: ProxyPlan): ProxyDiff {
  const open: ListenerPlan[] = [];
  const update: ListenerPlan[] = [];
  const close: string[] = [];
  for (const [k, want] of desired.listeners) {
    const have = current.get(k);
    if (!have) open.push(want);
    else if (!sameListener(have, want)) update.push(want);
  }
  for (const k of current.keys()) if (!desired.listeners.has(k)) close.push(k);
  return { open, close, update };
}

function sameListener(a: ListenerPlan, b: ListenerPlan): boolean {
  if (a.affinityTimeoutMs !== b.affinityTimeoutMs || a.service !== b.service) return false;
  if (a.backends.length !== b.backends.length) return false;
  return a.backends.every((x, i) => {
    const y = b.backends[i]!;
    return x.ip === y.ip && x.port === y.port && x.nodeId === y.nodeId && x.local === y.local;
  });
}
