/**
 * This node's measured usage: the machine (the metrics sampler's latest sample) and every running
 * container of its pods (one `stats` call to the runtime), as the summary the leader and the
 * metrics API read, and as Prometheus text for /metrics.
 */
import { allocatableOf, capacityOf, type NodeSample, noReservations } from '../metrics/node-metrics.ts';
import {
  type ContainerUsage,
  containerFamilies,
  nodeFamilies,
  renderExposition,
} from '../metrics/prometheus.ts';
import { LABEL } from '../runtime/labels.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';

export interface ContainerUsageSummary {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

export interface PodUsageSummary {
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly ContainerUsageSummary[];
}

/** What `GET /kedge/node/v1/summary` answers. */
export interface NodeUsageSummary {
  readonly nodeName: string;
  readonly timestamp: string;
  /** The averaging window of the CPU figures, in seconds. */
  readonly windowSeconds: number;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly pods: readonly PodUsageSummary[];
}

export async function containerUsages(
  runtime: ContainerRuntime,
  nodeName: string,
): Promise<ContainerUsage[]> {
  const containers = (
    await runtime.listContainers({ [LABEL.node]: nodeName, [LABEL.role]: 'container' })
  ).filter((c) => c.state === 'running');
  const stats = await runtime.containerStats(containers.map((c) => c.id));
  const byId = new Map(containers.map((c) => [c.id, c]));
  const out: ContainerUsage[] = [];
  for (const s of stats) {
    const c = byId.get(s.id);
    if (c === undefined) continue;
    out.push({
      namespace: c.labels[LABEL.podNamespace] ?? '',
      pod: c.labels[LABEL.podName] ?? '',
      container: c.labels[LABEL.containerName] ?? c.name,
      stats: s,
    });
  }
  return out;
}

/** Pure: the summary from a node sample and the containers' usage. */
export function summarise(
  nodeName: string,
  sample: NodeSample,
  usages: readonly ContainerUsage[],
  windowSeconds: number,
): NodeUsageSummary {
  const pods = new Map<string, { namespace: string; name: string; containers: ContainerUsageSummary[] }>();
  for (const u of usages) {
    const key = `${u.namespace}/${u.pod}`;
    let pod = pods.get(key);
    if (pod === undefined) {
      pod = { namespace: u.namespace, name: u.pod, containers: [] };
      pods.set(key, pod);
    }
    pod.containers.push({
      name: u.container,
      cpuMilli: Math.round(u.stats.cpuNanoCores / 1e6),
      memoryBytes: u.stats.memoryWorkingSetBytes,
    });
  }
  return {
    nodeName,
    timestamp: sample.timestamp.toISOString(),
    windowSeconds,
    cpuMilli: Math.round(sample.cpuUsageCores * 1000),
    memoryBytes: sample.memoryWorkingSetBytes,
    pods: [...pods.values()],
  };
}

/** Prometheus text 0.0.4 for this node and its containers. */
export function exposition(
  nodeName: string,
  sample: NodeSample,
  usages: readonly ContainerUsage[],
  maxPods: number,
): string {
  const capacity = capacityOf(sample, maxPods);
  return renderExposition([
    ...nodeFamilies(nodeName, sample, capacity, allocatableOf(capacity, noReservations)),
    ...containerFamilies(usages),
  ]);
}
