import type { Protocol } from './endpoint-table-types.ts';

/**
 * The little of a Service the proxy and DNS need, as the agent hands it over from its cache of the
 * API (kept here so the proxy depends on nothing of the agent but this shape).
 */
export interface ProxyServicePort {
  /** '' for a single unnamed port; endpoints are matched to service ports by this name. */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly nodePort?: number;
}

export interface ProxyService {
  readonly namespace: string;
  readonly name: string;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** The virtual address from the API server's range, 'None' for a headless Service. */
  readonly clusterIP: string;
  readonly ports: readonly ProxyServicePort[];
  readonly sessionAffinity: 'None' | 'ClientIP';
  /** sessionAffinityConfig.clientIP.timeoutSeconds (Kubernetes defaults to 10800). */
  readonly affinityTimeoutSeconds?: number;
}

export function isHeadless(service: ProxyService): boolean {
  return service.clusterIP === 'None' || service.clusterIP === '';
}
