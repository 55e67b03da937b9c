/**
 * What this node's proxy balances, from the API's Services and Endpoints (pure functions), and
 * the loop that keeps a ServiceProxy current from two informers.
 *
 *   Service   ──proxyServiceOf──> ProxyService (type, clusterIP, ports with nodePorts)
 *   Endpoints ──endpointViewOf──> EndpointView (ready and not-ready addresses per port, local first)
 *   informers (list + watch) ──change──> debounce 20 ms ──> proxy.setServices / setEndpoints
 */

import type { EndpointView, ServiceEndpoint } from '../../../proxy/src/endpoint-table-types.ts';
import type { ServiceProxy } from '../../../proxy/src/service-proxy.ts';
import type { ProxyService } from '../../../proxy/src/service-types.ts';
import type { Endpoints, Service } from '../api/types/core.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { type ClusterClient, ENDPOINTS, SERVICES } from '../controllers/runtime/client.ts';
import { systemClock } from '../controllers/runtime/clock.ts';
import { Informer } from '../controllers/runtime/informer.ts';

export const UNALLOCATED_CLUSTER_IP = '0.0.0.0';

export function proxyServiceOf(service: Service): ProxyService | undefined {
  const spec = service.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') return undefined;
  return {
    namespace: service.metadata.namespace ?? 'default',
    name: service.metadata.name ?? '',
    type,
    // The proxy reads '' as headless. A Service whose ClusterIP the API has not allocated (yet) is
    // not headless: 0.0.0.0 gets it its NodePorts and no ClusterIP listener.
    clusterIP:
      spec.clusterIP === undefined || spec.clusterIP === '' ? UNALLOCATED_CLUSTER_IP : spec.clusterIP,
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
      port: p.port,
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
    })),
    sessionAffinity: spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
  };
}

/** The Endpoints objects as the proxy's view; `nodeName` marks this node's endpoints local. */
export function endpointViewOf(endpoints: readonly Endpoints[], nodeName: string): EndpointView {
  const view = new Map<string, ServiceEndpoint[]>();
  for (const e of endpoints) {
    const out: ServiceEndpoint[] = [];
    for (const subset of e.subsets ?? []) {
      const groups = [
        { ready: true, addresses: subset.addresses ?? [] },
        { ready: false, addresses: subset.notReadyAddresses ?? [] },
      ];
      for (const port of subset.ports ?? [])
        for (const { ready, addresses } of groups)
          for (const a of addresses)
            out.push({
              portName: port.name ?? '',
              ip: a.ip,
              port: port.port,
              protocol: port.protocol === 'UDP' ? 'UDP' : 'TCP',
              ready,
              nodeId: a.nodeName ?? '',
              local: a.nodeName === nodeName,
              ...(a.targetRef?.name !== undefined ? { podName: a.targetRef.name } : {}),
              ...(a.hostname !== undefined ? { hostname: a.hostname } : {}),
            });
    }
    view.set(`${e.metadata.namespace ?? 'default'}/${e.metadata.name ?? ''}`, out);
  }
  return view;
}

/** Keeps `proxy` in step with the cluster's Services and Endpoints until the signal aborts. */
export function runServiceFeed(options: {
  readonly client: ClusterClient;
  readonly proxy: ServiceProxy;
  readonly nodeName: string;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
}): void {
  const onError = (error: Error, what: string) => options.log(`service feed: ${what}: ${error.message}`);
  const services = new Informer(options.client, SERVICES, { clock: systemClock, onError });
  const endpoints = new Informer(options.client, ENDPOINTS, { clock: systemClock, onError });
  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    timer = undefined;
    if (options.signal.aborted) return;
    const list = services.list().map((s) => proxyServiceOf(s as Service));
    const report = (errors: readonly { message: string }[]) => {
      for (const e of errors) options.log(`proxy: ${e.message}`);
    };
    void options.proxy.setServices(list.filter((s): s is ProxyService => s !== undefined)).then(report);
    void options.proxy
      .setEndpoints(endpointViewOf(endpoints.list() as unknown as Endpoints[], options.nodeName))
      .then(report);
  };
  const changed = (_type: string, _object: KubeObject) => {
    if (timer === undefined) timer = setTimeout(push, 20);
  };
  services.onChange(changed);
  endpoints.onChange(changed);
  options.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  for (const informer of [services, endpoints])
    void informer.run(options.signal).catch((e: unknown) => onError(e as Error, 'informer'));
}
