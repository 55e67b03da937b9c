// What a transport can tell the driver beyond delivering messages, so the leader's view of each
// follower stays honest (etcd's ReportSnapshot / ReportUnreachable). Optional: the driver falls
// back to assuming success when a transport does not offer it.

import type { NodeId, Transport } from '../types.ts';

export type SnapshotStatus = 'finish' | 'failure';

export interface TransportFeedback {
  /** A 'snap' message to `peer` was written out in full ('finish') or lost ('failure'). */
  onSnapshotStatus(handler: (peer: NodeId, status: SnapshotStatus) => void): void;
  /** Messages to `peer` are being dropped (connection down or queue full). */
  onUnreachable(handler: (peer: NodeId) => void): void;
}

/** The transport's feedback side, if it has one. */
export function feedbackOf(transport: Transport): TransportFeedback | undefined {
  const candidate = transport as Partial<TransportFeedback>;
  return typeof candidate.onSnapshotStatus === 'function' && typeof candidate.onUnreachable === 'function'
    ? (candidate as TransportFeedback)
    : undefined;
}
