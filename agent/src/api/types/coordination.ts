/** coordination.k8s.io/v1 Lease: heartbeats and leader election records. */
import type { KubeObject } from './meta.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}
