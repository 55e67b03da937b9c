/**
 * The Priority admission step with its one read: the PriorityClasses in the store. Shared by the
 * API server's create/update handlers and by the controllers' client (which writes without HTTP),
 * so a pod gets the same spec.priority whoever creates it. The rules are api/priority.ts.
 *
 *   pod create  ──> the backend's PriorityClassCache (a watch: no store read per pod; a direct get
 *                   only for a named class it does not hold) ──> resolvePodPriority ──> spec.priority, preemptionPolicy
 *   priorityclass create/update ──> list priorityclasses (a direct read: rare) ──> checkGlobalDefault
 *   pod update  ──> priority and preemptionPolicy kept from the stored pod
 */
import {
  applyPodPriority,
  checkGlobalDefault,
  PRIORITY_CLASSES,
  preservePodPriority,
  resolvePodPriority,
  SYSTEM_PRIORITY_CLASSES,
} from '../api/priority.ts';
import type { ResourceInfo } from '../api/registry.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import type { PriorityClass } from '../api/types/scheduling.ts';
import type { ObjectBackend } from './backend.ts';
import { PriorityClassCache } from './priority-class-cache.ts';
import { isStatusError } from './status.ts';

/**
 * One cache per backend, made at its first pod create and living as long as the backend (the API
 * server's and the controllers' are the agent's own): the callers hand in only the backend.
 */
const caches = new WeakMap<ObjectBackend, PriorityClassCache>();

/** The PriorityClassCache that admission keeps for `backend`. */
export function priorityClassCacheOf(backend: ObjectBackend): PriorityClassCache {
  let cache = caches.get(backend);
  if (cache === undefined) {
    cache = new PriorityClassCache(backend);
    caches.set(backend, cache);
  }
  return cache;
}

/** The classes a pod's admission needs: the cached ones, plus its named class read directly on a miss. */
async function classesForPod(backend: ObjectBackend, pod: Pod): Promise<PriorityClass[]> {
  const cache = priorityClassCacheOf(backend);
  const classes = await cache.classes();
  const name = pod.spec.priorityClassName ?? '';
  if (
    name === '' ||
    SYSTEM_PRIORITY_CLASSES.some((c) => c.metadata.name === name) ||
    classes.some((c) => c.metadata.name === name)
  )
    return classes;
  const found = await cache.find(name);
  return found === undefined ? classes : [...classes, found];
}

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
    const resolved = resolvePodPriority(pod, await classesForPod(backend, pod));
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
