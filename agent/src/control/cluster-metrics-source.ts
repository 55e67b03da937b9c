/**
 * The HPA's CPU figures: every agent's usage summary (/kedge/node/v1/summary, measured from the
 * runtime's stats), the same numbers the metrics API serves to `kubectl top pods`.
 */
import type { Pod } from '../api/types/pod.ts';
import type { MetricsSource } from '../controllers/hpa/controller.ts';
import { type ScrapeDeps, scrapeNodeSummaries } from '../node/cluster-routes.ts';

export function clusterMetricsSource(deps: ScrapeDeps): MetricsSource {
  return {
    async podCpuMillis(pods: readonly Pod[]) {
      const wanted = new Set(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
      const usage = new Map<string, number>();
      for (const summary of await scrapeNodeSummaries(deps)) {
        for (const pod of summary.pods) {
          if (!wanted.has(`${pod.namespace}/${pod.name}`)) continue;
          usage.set(
            pod.name,
            pod.containers.reduce((sum, c) => sum + c.cpuMilli, 0),
          );
        }
      }
      return usage;
    },
  };
}
