export { Balancer, type BalancerOptions, backendId } from './balancer.ts';
export { DnsServer, type DnsServerOptions } from './dns-server.ts';
export { type DnsResult, DnsZone, type DnsZoneOptions, defaultDnsZoneOptions } from './dns-zone.ts';
export {
  compareVersions,
  type EndpointEntry,
  type EndpointView,
  type OriginState,
  type OriginVersion,
  type Protocol,
  type ServiceEndpoint,
  type ServiceKey,
  serviceKey,
} from './endpoint-table-types.ts';
export { ProxyError, type ProxyErrorKind } from './proxy-error.ts';
export {
  type Backend,
  diffPlans,
  type ListenerPlan,
  type ProxyDiff,
  type ProxyPlan,
  type ProxyPlanOptions,
  planProxy,
} from './proxy-plan.ts';
export { ServiceProxy, type ServiceProxyOptions } from './service-proxy.ts';
export { isHeadless, type ProxyService, type ProxyServicePort } from './service-types.ts';
export { type TcpListenerOptions, TcpServiceListener } from './tcp-listener.ts';
export { type UdpListenerOptions, UdpServiceListener } from './udp-listener.ts';
