/**
 * What this node announces on gossip (pure): the endpoints of its own pods for every Service that
 * selects them, ready or not, with the same port resolution as the Endpoints controller (so the
 * gossip table and the API's Endpoints objects agree).
 */
import type { EndpointEntry } from '../../../proxy/src/endpoint-table-types.ts';
import type { Service } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import { endpointSubsets } from '../controllers/endpoints/reconcile.ts';

export function localEndpointEntries(services: readonly Service[], pods: readonly Pod[]): EndpointEntry[] {
  const out: EndpointEntry[] = [];
  for (const service of services) {
    const namespace = service.metadata.namespace ?? 'default';
    const name = service.metadata.name ?? '';
    if (service.spec?.type === 'ExternalName') continue;
    const mine = pods.filter((p) => (p.metadata.namespace ?? 'default') === namespace);
    for (const subset of endpointSubsets(service, mine)) {
      const groups = [
        { ready: true, addresses: subset.addresses ?? [] },
        { ready: false, addresses: subset.notReadyAddresses ?? [] },
      ];
      for (const port of subset.ports ?? [])
        for (const { ready, addresses } of groups)
          for (const a of addresses) {
            const pod = mine.find((p) => p.metadata.name === a.targetRef?.name);
            out.push({
              namespace,
              service: name,
              portName: port.name ?? '',
              ip: a.ip,
              port: port.port,
              protocol: port.protocol === 'UDP' ? 'UDP' : 'TCP',
              ready,
              ...(a.targetRef?.name !== undefined ? { podName: a.targetRef.name } : {}),
              ...(pod?.spec.hostname !== undefined ? { hostname: pod.spec.hostname } : {}),
              ...(pod?.spec.subdomain !== undefined ? { subdomain: pod.spec.subdomain } : {}),
            });
          }
    }
  }
  return out;
}
