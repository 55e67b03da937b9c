/**
 * The metrics API document the dashboard charts: `GET /apis/metrics.k8s.io/v1beta1/nodes` (what
 * `kubectl top nodes` reads from metrics-server), polled every 2 s. Usage is a Kubernetes
 * quantity (cpu "250m" or "1.5", memory "123456Ki"); the page turns it into a share of the Node
 * object's status.allocatable (falling back to status.capacity).
 */
export interface NodeMetrics {
  readonly apiVersion?: 'metrics.k8s.io/v1beta1';
  readonly kind?: 'NodeMetrics';
  /** metadata.name is the Node's name. */
  readonly metadata: { readonly name: string };
  /** RFC 3339: when the sample was taken. The chart plots samples at this time, once each. */
  readonly timestamp: string;
  /** The averaging window of the CPU figure, e.g. "10s". */
  readonly window: string;
  readonly usage: { readonly cpu: string; readonly memory: string };
}

export interface NodeMetricsList {
  readonly apiVersion: 'metrics.k8s.io/v1beta1';
  readonly kind: 'NodeMetricsList';
  readonly metadata: Record<string, unknown>;
  readonly items: readonly NodeMetrics[];
}

export const NODE_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';
