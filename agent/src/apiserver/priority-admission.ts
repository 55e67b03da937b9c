/**
 * The Priority admission step with its one read: the PriorityClasses in the store. Shared by the
 * API server's create/update handlers and by the controllers' client (which writes without HTTP),
 * so a pod gets the same spec.priority whoever creates it. The rules are api/priority.ts.
 *
 *   pod create               ──> list priorityclasses ──> resolvePodPriority ──> spec.priority, preemptionPolicy
 *   priorityclass create/update ──> list priorityclasses ──> checkGlobalDefault
 *   pod update               ──> priority and preemptionPolicy kept from the stored pod
 */
import {
  applyPodPriority,
  checkGlobalDefault,
  PRIORITY_CLASSES,
  preservePodPriority,
  resolvePodPriority,
} from '../api/priority.ts';
import type { ResourceInfo } from '../api/registry.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import type { PriorityClass } from '../api/types/scheduling.ts';
import type { ObjectBackend } from './backend.ts';
import { isStatusError } from './status.ts';

async function listClasses(backend: ObjectBackend): Promise<PriorityClass[]> {
  const list = await backend.list(PRIORITY_CLASSES, {});
  return list.items as PriorityClass[];
}

const isPriorityClasses = (info: ResourceInfo): boolean =>
  info.group === PRIORITY_CLASSES.group && info.resource === PRIORITY_CLASSES.resource;

/** Mutates a pod being created; throws Forbidden (a StatusError) as the handlers expect. */
export async function admitPriorityOnCreate(
  backend: ObjectBackend,
  info: ResourceInfo,
  object: KubeObject,
): Promise<void> {
  if (info.group === '' && info.resource === 'pods') {
    const pod = object as Pod;
    // A body without a spec is left to validation, which reports it with the other causes.
    if (typeof pod.spec !== 'object' || pod.spec === null) return;
    const resolved = resolvePodPriority(pod, await listClasses(backend));
    if (isStatusError(resolved)) throw resolved;
    applyPodPriority(pod, resolved);
  } else if (isPriorityClasses(info)) {
    await admitPriorityClass(backend, info, object);
  }
}

/**
 * Before an update's validation: a pod keeps the priority set at its create; a PriorityClass may
 * not become a second globalDefault.
 */
export async function admitPriorityOnUpdate(
  backend: ObjectBackend,
  info: ResourceInfo,
  object: KubeObject,
  old: KubeObject,
): Promise<void> {
  if (info.group === '' && info.resource === 'pods') preservePodPriority(object as Pod, old as Pod);
  else if (isPriorityClasses(info)) await admitPriorityClass(backend, info, object);
}

async function admitPriorityClass(
  backend: ObjectBackend,
  info: ResourceInfo,
  object: KubeObject,
): Promise<void> {
  if (!isPriorityClasses(info)) return;
  const problem = checkGlobalDefault(object as PriorityClass, await listClasses(backend));
  if (problem !== undefined) throw problem;
}
