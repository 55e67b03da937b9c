export {
  ClusterIpAllocator,
  DEFAULT_SERVICE_CIDR,
  type ServiceIpClaim,
} from './cluster-ip-allocator.ts';
export { formatIpv4, type Ipv4Range, parseCidr, parseIpv4 } from './ipv4.ts';
export { ServiceIpError, type ServiceIpErrorKind } from './service-ip-error.ts';
export {
  type ClusterIpMode,
  planAddressChanges,
  VirtualIpBinder,
  type VirtualIpBinderOptions,
} from './virtual-ip-binder.ts';
