/**
 * The garbage collector's wiring. Items are `group/resource|namespace/name` over the tracked
 * resources; an owner that is not in the cache is confirmed gone with a live GET before anything
 * is deleted (a cold or lagging cache must never cascade-delete a cluster).
 */
import { isStatusError } from '../../api/errors.ts';
import { resourceForKind } from '../../api/registry.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import {
  type ClusterClient,
  CONTROLLERREVISIONS,
  CRONJOBS,
  DAEMONSETS,
  DEPLOYMENTS,
  ENDPOINTS,
  JOBS,
  PODS,
  PVCS,
  REPLICASETS,
  type ResourceRef,
  SERVICES,
  STATEFULSETS,
} from '../runtime/client.ts';
import type { ControllerDefinition, WatchSpec } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { type Located, type OwnerState, reconcileGarbage } from './reconcile.ts';

/** What the collector follows: the kinds that own or are owned in kedge. */
export const GC_RESOURCES: readonly ResourceRef[] = [
  PODS,
  REPLICASETS,
  DEPLOYMENTS,
  STATEFULSETS,
  DAEMONSETS,
  CONTROLLERREVISIONS,
  JOBS,
  CRONJOBS,
  PVCS,
  SERVICES,
  ENDPOINTS,
  { group: '', resource: 'configmaps' },
  { group: '', resource: 'secrets' },
];

const itemKey = (ref: ResourceRef, o: KubeObject) =>
  `${ref.group}/${ref.resource}|${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function parseItem(key: string): { ref: ResourceRef; namespace: string; name: string } | undefined {
  const bar = key.indexOf('|');
  const slash = key.indexOf('/');
  if (bar < 0 || slash < 0 || slash > bar) return undefined;
  return {
    ref: { group: key.slice(0, slash), resource: key.slice(slash + 1, bar) },
    ...splitKey(key.slice(bar + 1)),
  };
}

const tracked = (group: string, resource: string) =>
  GC_RESOURCES.find((r) => r.group === group && r.resource === resource);

export function garbageCollector(client: ClusterClient): ControllerDefinition {
  const watches: WatchSpec[] = GC_RESOURCES.map((ref) => ({
    ref,
    keys: (o, old, view) => {
      const keys = [itemKey(ref, o)];
      // Owners wait on their dependants (foreground, orphan): a dependant's change concerns them.
      for (const x of [o, old])
        for (const r of x?.metadata.ownerReferences ?? []) {
          const info = resourceForKind(r.apiVersion, r.kind);
          const oref = info && tracked(info.group, info.resource);
          if (oref !== undefined)
            keys.push(
              `${oref.group}/${oref.resource}|${info?.namespaced ? (o.metadata.namespace ?? '') : ''}/${r.name}`,
            );
        }
      // An owner that changed (deleted, marked) concerns its dependants.
      const uid = o.metadata.uid ?? '';
      for (const dref of GC_RESOURCES) for (const d of view.owned(dref, uid)) keys.push(itemKey(dref, d));
      return keys;
    },
  }));
  return {
    name: 'garbage-collector',
    watches,
    async reconcile(key, view) {
      const item = parseItem(key);
      if (item === undefined) return NOTHING_TO_DO;
      const object = view.get(item.ref, item.namespace, item.name);
      if (object === undefined) return NOTHING_TO_DO;
      const owners = new Map<string, OwnerState>();
      for (const r of object.metadata.ownerReferences ?? []) {
        const info = resourceForKind(r.apiVersion, r.kind);
        const oref = info && tracked(info.group, info.resource);
        if (info === undefined || oref === undefined) {
          owners.set(r.uid, { present: true });
          continue;
        }
        const ns = info.namespaced ? (object.metadata.namespace ?? '') : '';
        const cached = view.get(oref, ns, r.name);
        if (cached?.metadata.uid === r.uid) {
          owners.set(r.uid, { present: true, object: cached });
          continue;
        }
        const live = await client.get(oref, ns, r.name);
        if (isStatusError(live))
          owners.set(r.uid, live.status.code === 404 ? { present: false } : { present: true });
        else
          owners.set(
            r.uid,
            live.metadata.uid === r.uid ? { present: true, object: live } : { present: false },
          );
      }
      const dependants: Located[] = [];
      const uid = object.metadata.uid ?? '';
      for (const dref of GC_RESOURCES)
        for (const d of view.owned(dref, uid)) dependants.push({ ref: dref, object: d });
      return reconcileGarbage({ item: { ref: item.ref, object }, owners, dependants });
    },
  };
}
