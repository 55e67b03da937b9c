/** Small facts about objects that every controller asks: keys, owners, pod readiness, int-or-percent. */
import type { Condition, KubeObject, OwnerReference } from '../../api/types/meta.ts';
import type { IntOrString, Pod } from '../../api/types/pod.ts';
import { parseTime } from './clock.ts';

/** The work-queue key of an object: `namespace/name` (`/name` when cluster-scoped). */
export const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const controllerOf = (o: KubeObject): OwnerReference | undefined =>
  o.metadata.ownerReferences?.find((r) => r.controller === true);

/** The owner reference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export const isDeleting = (o: KubeObject): boolean => o.metadata.deletionTimestamp !== undefined;

export const isPodTerminal = (p: Pod): boolean =>
  p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Kubernetes' FilterActivePods: not finished and not being deleted. */
export const isPodActive = (p: Pod): boolean => !isPodTerminal(p) && !isDeleting(p);

export const podCondition = (p: Pod, type: string): Condition | undefined =>
  p.status?.conditions?.find((c) => c.type === type);

export const isPodReady = (p: Pod): boolean => podCondition(p, 'Ready')?.status === 'True';

/** Ready for at least minReadySeconds at `now`. */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(p, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(ready.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/** When a ready but not yet available pod becomes available (ms), or undefined. */
export function availableAt(p: Pod, minReadySeconds: number): number | undefined {
  const ready = podCondition(p, 'Ready');
  if (ready?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = parseTime(ready.lastTransitionTime);
  return since === undefined ? undefined : since + minReadySeconds * 1000;
}

/**
 * Kubernetes' GetScaledValueFromIntOrPercent: a number as is, `N%` of total rounded up or down.
 * Malformed values count as 0 (validation rejects them before they reach a controller).
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (m === null) return /^\d+$/.test(v) ? Number(v) : 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export const creationTime = (o: KubeObject): number => parseTime(o.metadata.creationTimestamp) ?? 0;
