/** Taint and toleration matching with Kubernetes' rules (core/v1 helpers ToleratesTaint). */
import type { Taint } from '../api/types/core.ts';
import type { TaintEffect, Toleration } from '../api/types/pod.ts';

/**
 * Does one toleration tolerate one taint? An empty effect matches every effect; an empty key with
 * `Exists` matches every taint; `Equal` (the default operator) compares values, a missing one being ''.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      // An empty key is only valid with Exists; such a toleration matches nothing with Equal.
      return (t.key ?? '') !== '' && (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function toleratesAny(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint with one of `effects` that no toleration matches, or undefined. */
export function firstUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: readonly TaintEffect[],
): Taint | undefined {
  for (const taint of taints) {
    if (!effects.includes(taint.effect)) continue;
    if (!toleratesAny(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The well-known taints the node lifecycle puts on nodes (Kubernetes' names). */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
