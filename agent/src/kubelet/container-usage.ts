/**
 * Real usage of the containers running on this node, for the metrics API (`kubectl top pod`,
 * metrics.k8s.io PodMetrics) and the Prometheus text at /metrics: one runtime listing and one
 * stats call for all of them, joined with the pod each belongs to by its labels.
 */
import type { ContainerUsage } from '../metrics/prometheus.ts';
import { LABEL } from '../runtime/labels.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';

export async function containerUsage(runtime: ContainerRuntime, nodeName: string): Promise<ContainerUsage[]> {
  const running = (await runtime.listContainers({ [LABEL.node]: nodeName })).filter(
    (c) => c.state === 'running',
  );
  if (running.length === 0) return [];
  const stats = new Map((await runtime.containerStats(running.map((c) => c.id))).map((s) => [s.id, s]));
  const out: ContainerUsage[] = [];
  for (const c of running) {
    const s = stats.get(c.id);
    if (!s) continue;
    out.push({
      namespace: c.labels[LABEL.podNamespace] ?? '',
      pod: c.labels[LABEL.podName] ?? '',
      container: c.name,
      stats: s,
    });
  }
  return out;
}
