/**
 * The HorizontalPodAutoscaler (autoscaling/v2, CPU Utilization targets):
 *
 *   utilisation = Σ usage / Σ requests over the ready pods with metrics
 *   ratio = utilisation / target; within 10 % of 1 ─> keep the current size
 *   recommendation = ceil(current × ratio), clamped to [minReplicas, maxReplicas]
 *   scale up: at most max(4 pods, 100 %) more per step (Kubernetes' default policies)
 *   scale down: the highest recommendation of the stabilisation window (default 300 s, or the
 *               HPA's spec.behavior.scaleDown.stabilizationWindowSeconds), so that a short dip
 *               does not remove pods that the next burst needs
 *   ─> write spec.replicas of the target (its scale), status and conditions
 */

import { quantityMilliValue, tryParseQuantity } from '../../api/quantity.ts';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus } from '../../api/types/autoscaling.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { HPAS, type ResourceRef } from '../runtime/client.ts';
import { timestamp } from '../runtime/clock.ts';
import { isPodActive, isPodReady } from '../runtime/objects.ts';

export const TOLERANCE = 0.1;

export interface HpaConfig {
  /** How long a lower recommendation must hold before scaling down (Kubernetes: 300 s). */
  readonly scaleDownStabilizationSeconds: number;
  /** How often every autoscaler is evaluated (Kubernetes: 15 s). */
  readonly syncPeriodSeconds: number;
}
export const DEFAULT_HPA_CONFIG: HpaConfig = { scaleDownStabilizationSeconds: 300, syncPeriodSeconds: 15 };

export interface Recommendation {
  readonly at: number;
  readonly replicas: number;
}

export interface HpaInput {
  readonly hpa: HorizontalPodAutoscaler;
  /** The scale target (Deployment, ReplicaSet, StatefulSet) and where it lives. */
  readonly target: KubeObject & { spec: { replicas?: number } };
  readonly targetRef: ResourceRef;
  readonly pods: readonly Pod[];
  /** CPU usage in millicores, by pod name; pods without a sample are absent. */
  readonly usage: ReadonlyMap<string, number>;
  /** Recommendations of the window, oldest first (kept by the caller between calls). */
  readonly history: readonly Recommendation[];
  readonly now: number;
  readonly config: HpaConfig;
}

export interface HpaResult extends Reconciliation {
  readonly history: Recommendation[];
}

const requestMillis = (p: Pod): number | undefined => {
  let total = 0;
  for (const c of p.spec.containers) {
    const r = c.resources?.requests?.cpu;
    if (r === undefined || tryParseQuantity(r) === undefined) return undefined;
    total += Number(quantityMilliValue(r));
  }
  return total;
};

/**
 * The scale-down window of this HPA: spec.behavior.scaleDown.stabilizationWindowSeconds when set
 * (0..3600, as Kubernetes validates it), else the controller's default. The API types leave
 * `behavior` untyped, so it is read defensively.
 */
export function scaleDownWindowSeconds(hpa: HorizontalPodAutoscaler, config: HpaConfig): number {
  const behavior = hpa.spec.behavior as { scaleDown?: { stabilizationWindowSeconds?: unknown } } | undefined;
  const seconds = behavior?.scaleDown?.stabilizationWindowSeconds;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds >= 0 && seconds <= 3600
    ? seconds
    : config.scaleDownStabilizationSeconds;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: number) {
  return { type, status, reason, message, lastTransitionTime: timestamp(now) };
}

export function reconcileHpa(input: HpaInput): HpaResult {
  const { hpa, now, config } = input;
  const current = input.target.spec.replicas ?? 1;
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  const metric = (hpa.spec.metrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const target = metric?.resource?.target.averageUtilization ?? 80;
  const actions: Action[] = [];
  const requeueAfterMs = config.syncPeriodSeconds * 1000;
  const conditions = [
    condition(
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
      now,
    ),
  ];

  let usage = 0;
  let requests = 0;
  let sampled = 0;
  let missingRequest = false;
  for (const p of input.pods) {
    if (!isPodActive(p) || !isPodReady(p)) continue;
    const u = input.usage.get(p.metadata.name ?? '');
    if (u === undefined) continue;
    const r = requestMillis(p);
    if (r === undefined || r === 0) {
      missingRequest = true;
      continue;
    }
    usage += u;
    requests += r;
    sampled++;
  }
  let raw = current;
  let utilisation: number | undefined;
  if (missingRequest && sampled === 0) {
    conditions.push(
      condition(
        'ScalingActive',
        'False',
        'FailedGetResourceMetric',
        "missing request for cpu in the target's pods",
        now,
      ),
    );
    actions.push(event(hpa, 'Warning', 'FailedGetResourceMetric', 'missing request for cpu'));
  } else if (sampled === 0) {
    conditions.push(
      condition(
        'ScalingActive',
        'False',
        'FailedGetResourceMetric',
        "no CPU metrics for the target's ready pods yet",
        now,
      ),
    );
  } else {
    utilisation = Math.round((usage * 100) / requests);
    const ratio = utilisation / target;
    if (Math.abs(ratio - 1) > TOLERANCE) raw = Math.ceil(current * ratio);
    conditions.push(
      condition(
        'ScalingActive',
        'True',
        'ValidMetricFound',
        'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
        now,
      ),
    );
  }

  let desired = Math.min(max, Math.max(min, raw));
  if (current === 0) desired = 0; // scaled to zero by hand: autoscaling is off
  const windowStart = now - scaleDownWindowSeconds(hpa, config) * 1000;
  const history = [...input.history.filter((r) => r.at > windowStart), { at: now, replicas: desired }];
  if (desired < current) desired = Math.min(current, Math.max(...history.map((r) => r.replicas)));
  const upLimit = Math.max(current + 4, current * 2);
  if (desired > upLimit) desired = upLimit;
  const limited = desired === max || desired === min;
  conditions.push(
    limited
      ? condition(
          'ScalingLimited',
          'True',
          desired === max ? 'TooManyReplicas' : 'TooFewReplicas',
          `the desired replica count is ${desired === max ? 'more' : 'less'} than the ${desired === max ? 'maximum' : 'minimum'} replica count`,
          now,
        )
      : condition(
          'ScalingLimited',
          'False',
          'DesiredWithinRange',
          'the desired count is within the acceptable range',
          now,
        ),
  );

  const status: HorizontalPodAutoscalerStatus = {
    ...hpa.status,
    observedGeneration: hpa.metadata.generation ?? 1,
    currentReplicas: current,
    desiredReplicas: desired,
    currentMetrics:
      utilisation === undefined
        ? []
        : [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                current: { averageUtilization: utilisation, averageValue: `${Math.round(usage / sampled)}m` },
              },
            },
          ],
  };
  if (desired !== current) {
    const next = mutable(input.target);
    next.spec.replicas = desired;
    actions.push({ kind: 'update', ref: input.targetRef, object: next });
    actions.push(
      event(
        hpa,
        'Normal',
        'SuccessfulRescale',
        `New size: ${desired}; reason: cpu resource utilization (percentage of request) ${desired > current ? 'above' : 'below'} target`,
      ),
    );
    status.lastScaleTime = timestamp(now);
  }
  // Conditions keep their transition time while unchanged.
  status.conditions = conditions.map((c) => {
    const old = hpa.status?.conditions?.find((x) => x.type === c.type);
    return old !== undefined && old.status === c.status && old.reason === c.reason
      ? { ...c, lastTransitionTime: old.lastTransitionTime ?? c.lastTransitionTime }
      : c;
  });
  if (!jsonEqual(status, hpa.status ?? {})) {
    const next = mutable(hpa);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: HPAS, object: next });
  }
  return { actions, requeueAfterMs, history };
}
