/**
 * The HPA controller's wiring: every autoscaler is evaluated each sync period with CPU usage from a
 * MetricsSource (the agents' real measurements), and keeps its scale-down window in memory (a new
 * leader starts with an empty window, as kube-controller-manager does after a restart).
 */

import { labelSelectorMatches } from '../../api/label-selector.ts';
import { resourceForKind } from '../../api/registry.ts';
import type { HorizontalPodAutoscaler } from '../../api/types/autoscaling.ts';
import type { KubeObject, LabelSelector } from '../../api/types/meta.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { DEPLOYMENTS, HPAS, PODS, REPLICASETS, STATEFULSETS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { DEFAULT_HPA_CONFIG, type HpaConfig, type Recommendation, reconcileHpa } from './reconcile.ts';

/** Per-pod CPU usage, in millicores. */
export interface MetricsSource {
  podCpuMillis(pods: readonly Pod[]): Promise<ReadonlyMap<string, number>>;
}

const TARGETS = [DEPLOYMENTS, REPLICASETS, STATEFULSETS];

export function hpaController(
  metrics: MetricsSource,
  options: { config?: Partial<HpaConfig> } = {},
): ControllerDefinition {
  const config = { ...DEFAULT_HPA_CONFIG, ...options.config };
  const history = new Map<string, Recommendation[]>();
  return {
    name: 'horizontal-pod-autoscaler',
    primary: HPAS,
    reads: [...TARGETS, PODS],
    async reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const hpa = view.get(HPAS, namespace, name) as HorizontalPodAutoscaler | undefined;
      if (hpa === undefined) {
        history.delete(key);
        return NOTHING_TO_DO;
      }
      const ref = hpa.spec.scaleTargetRef;
      const info = resourceForKind(ref.apiVersion ?? 'apps/v1', ref.kind);
      const targetRef = TARGETS.find((t) => t.group === info?.group && t.resource === info?.resource);
      if (targetRef === undefined) return { actions: [], requeueAfterMs: config.syncPeriodSeconds * 1000 };
      const target = view.get(targetRef, namespace, ref.name) as
        | (KubeObject & { spec: { replicas?: number; selector?: LabelSelector } })
        | undefined;
      if (target === undefined) return { actions: [], requeueAfterMs: config.syncPeriodSeconds * 1000 };
      const pods = (view.list(PODS, namespace) as Pod[]).filter((p) =>
        labelSelectorMatches(target.spec.selector, p.metadata.labels),
      );
      const usage = await metrics.podCpuMillis(pods);
      const r = reconcileHpa({
        hpa,
        target,
        targetRef,
        pods,
        usage,
        history: history.get(key) ?? [],
        now,
        config,
      });
      history.set(key, r.history);
      return r;
    },
  };
}
