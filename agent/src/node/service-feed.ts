/**
 * A Service as the proxy and DNS see it (pure): Service ──proxyServiceOf──> ProxyService (type,
 * clusterIP, ports with nodePorts). The endpoints come from gossip (service-data-plane.ts).
 */
import type { ProxyService } from '../../../proxy/src/service-types.ts';
import type { Service } from '../api/types/core.ts';

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
