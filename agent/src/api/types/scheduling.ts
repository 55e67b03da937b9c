/** scheduling.k8s.io/v1 PriorityClass: a named pod priority (cluster-scoped; fields at the top level). */
import type { KubeObject } from './meta.ts';

export type PreemptionPolicy = 'PreemptLowerPriority' | 'Never';

export interface PriorityClass extends KubeObject {
  /** Pods naming this class get this spec.priority; higher schedules first and may preempt lower. */
  value: number;
  /** The class of pods that name none (at most one class may be the default). */
  globalDefault?: boolean;
  description?: string;
  /** Defaulted to PreemptLowerPriority. */
  preemptionPolicy?: PreemptionPolicy;
}
