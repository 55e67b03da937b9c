import type { ContainerStats } from '../runtime/runtime.ts';
import type { NodeCapacity, NodeSample } from './node-metrics.ts';

/**
 * Prometheus text exposition format 0.0.4, as pure functions: families in, text out. Served at
 * `/metrics` with Content-Type `text/plain; version=0.0.4; charset=utf-8`.
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter';

export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch; omitted means "when scraped". */
  readonly timestampMs?: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline (quotes stay). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The text of the families; throws on a name Prometheus would reject (a bug, not data). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [name] of labels) {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) {
          throw new Error(`invalid label name ${JSON.stringify(name)} on ${family.name}`);
        }
      }
      const labelText =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
      const timestamp = sample.timestampMs === undefined ? '' : ` ${Math.round(sample.timestampMs)}`;
      lines.push(`${family.name}${labelText} ${formatValue(sample.value)}${timestamp}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function gauge(name: string, help: string, value: number, labels?: Record<string, string>): MetricFamily {
  return { name, help, type: 'gauge', samples: [{ value, labels }] };
}

/** The node's usage, capacity and allocatable. */
export function nodeFamilies(
  node: string,
  sample: NodeSample,
  capacity: NodeCapacity,
  allocatable: NodeCapacity,
): MetricFamily[] {
  const l = { node };
  const resources = (c: NodeCapacity): MetricSample[] => [
    { labels: { node, resource: 'cpu', unit: 'core' }, value: c.cpuMillis / 1000 },
    { labels: { node, resource: 'memory', unit: 'byte' }, value: c.memoryBytes },
    { labels: { node, resource: 'ephemeral_storage', unit: 'byte' }, value: c.ephemeralStorageBytes },
    { labels: { node, resource: 'pods', unit: 'integer' }, value: c.pods },
  ];
  return [
    gauge(
      'kedge_node_cpu_usage_cores',
      'CPU in use on the node, in cores, over the last sampling interval.',
      sample.cpuUsageCores,
      l,
    ),
    gauge('kedge_node_cpu_cores', 'Logical CPUs of the node.', sample.cpuCores, l),
    gauge('kedge_node_load1', 'One-minute load average.', sample.load1, l),
    gauge(
      'kedge_node_memory_working_set_bytes',
      'Memory in use on the node (total minus available).',
      sample.memoryWorkingSetBytes,
      l,
    ),
    gauge(
      'kedge_node_memory_available_bytes',
      'Memory available without swapping (MemAvailable).',
      sample.memoryAvailableBytes,
      l,
    ),
    gauge('kedge_node_memory_total_bytes', 'Physical memory of the node.', sample.memoryTotalBytes, l),
    gauge(
      'kedge_node_disk_available_bytes',
      'Free space on the file system of the agent data dir.',
      sample.diskAvailableBytes,
      { node, path: sample.diskPath },
    ),
    gauge(
      'kedge_node_disk_total_bytes',
      'Size of the file system of the agent data dir.',
      sample.diskTotalBytes,
      { node, path: sample.diskPath },
    ),
    {
      name: 'kedge_node_capacity',
      help: 'Node capacity by resource.',
      type: 'gauge',
      samples: resources(capacity),
    },
    {
      name: 'kedge_node_allocatable',
      help: 'Node allocatable (capacity minus reservations) by resource.',
      type: 'gauge',
      samples: resources(allocatable),
    },
  ];
}

/** A container's stats with the pod it belongs to. */
export interface ContainerUsage {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly stats: ContainerStats;
}

export function containerFamilies(usages: readonly ContainerUsage[]): MetricFamily[] {
  const labels = (u: ContainerUsage) => ({ namespace: u.namespace, pod: u.pod, container: u.container });
  return [
    {
      name: 'kedge_container_cpu_usage_cores',
      help: 'CPU in use by the container, in cores, between the last two stats samples.',
      type: 'gauge',
      samples: usages.map((u) => ({ labels: labels(u), value: u.stats.cpuNanoCores / 1e9 })),
    },
    {
      name: 'kedge_container_cpu_usage_seconds_total',
      help: 'Cumulative CPU time consumed by the container.',
      type: 'counter',
      samples: usages.map((u) => ({ labels: labels(u), value: u.stats.cpuUsageCoreNanoSeconds / 1e9 })),
    },
    {
      name: 'kedge_container_memory_working_set_bytes',
      help: 'Memory in use by the container, as the runtime reports it.',
      type: 'gauge',
      samples: usages.map((u) => ({ labels: labels(u), value: u.stats.memoryWorkingSetBytes })),
    },
    {
      name: 'kedge_container_memory_limit_bytes',
      help: 'Memory limit of the container (absent when unlimited).',
      type: 'gauge',
      samples: usages
        .filter((u) => u.stats.memoryLimitBytes !== undefined)
        .map((u) => ({ labels: labels(u), value: u.stats.memoryLimitBytes ?? 0 })),
    },
  ];
}
