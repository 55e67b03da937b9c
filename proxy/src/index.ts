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
export { IngressProxy, type IngressProxyOptions } from './ingress/ingress-proxy.ts';
export type {
  IngressBackendRef,
  IngressPathRule,
  IngressRuleSpec,
  IngressServiceBackend,
  ProxyIngress,
  TlsSecret,
} from './ingress/ingress-types.ts';
export { LeastConnections } from './ingress/least-connections.ts';
export {
  buildRouteTable,
  certificateFor,
  type HostRoutes,
  matchRoute,
  type Route,
  type RouteTable,
} from './ingress/route-table.ts';
export { NftFastPath, type NftFastPathOptions } from './nft/nft-fast-path.ts';
export { EMPTY_NFT_PLAN, type NftPlan, planNft, type ServiceChain } from './nft/nft-plan.ts';
export { chainRule, diffScript, fullScript } from './nft/nft-script.ts';
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
export { type CommandResult, type CommandRunner, runCommand } from './system-command.ts';
export { type TcpListenerOptions, TcpServiceListener } from './tcp-listener.ts';
export { type UdpListenerOptions, UdpServiceListener } from './udp-listener.ts';
