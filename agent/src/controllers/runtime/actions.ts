/**
 * What a reconcile returns: the writes to make and the events to record. Reconcile functions are
 * pure and never write; the runtime applies their actions through the ClusterClient.
 */
import type { ObjectReference } from '../../api/types/core.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import type { Preconditions, PropagationPolicy, ResourceRef } from './client.ts';

export interface EventSpec {
  readonly involvedObject: ObjectReference;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export type Action =
  | { readonly kind: 'create'; readonly ref: ResourceRef; readonly object: KubeObject }
  /** The object's metadata.resourceVersion is the precondition. */
  | { readonly kind: 'update'; readonly ref: ResourceRef; readonly object: KubeObject }
  | { readonly kind: 'updateStatus'; readonly ref: ResourceRef; readonly object: KubeObject }
  | {
      readonly kind: 'delete';
      readonly ref: ResourceRef;
      readonly namespace: string;
      readonly name: string;
      readonly preconditions?: Preconditions;
      readonly propagationPolicy?: PropagationPolicy;
      readonly gracePeriodSeconds?: number;
    }
  | { readonly kind: 'event'; readonly event: EventSpec };

export interface Reconciliation {
  readonly actions: readonly Action[];
  /** Look again after this long even if nothing changes (deadlines, minReadySeconds, tolerations). */
  readonly requeueAfterMs?: number;
}

export const NOTHING_TO_DO: Reconciliation = { actions: [] };

export function objectReference(o: KubeObject, apiVersion?: string, kind?: string): ObjectReference {
  const ref: ObjectReference = {
    kind: kind ?? o.kind ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    apiVersion: apiVersion ?? o.apiVersion ?? '',
    resourceVersion: o.metadata.resourceVersion ?? '',
  };
  if (o.metadata.namespace !== undefined) ref.namespace = o.metadata.namespace;
  return ref;
}

export function event(o: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Action {
  return { kind: 'event', event: { involvedObject: objectReference(o), type, reason, message } };
}

/** The earliest of several optional delays. */
export function soonest(...delays: (number | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const d of delays) if (d !== undefined && (best === undefined || d < best)) best = d;
  return best === undefined ? undefined : Math.max(0, best);
}

/** A deep copy to change: stored objects are frozen. */
export const mutable = <T extends KubeObject>(o: T): T => structuredClone(o) as T;
