/**
 * Resource arithmetic on plain numbers. Quantities are parsed once (exactly, by api/quantity.ts) into
 * millicores for CPU and whole units for everything else, so the hot filter and score loops compare
 * doubles, never bigints or strings. Doubles are exact up to 2^53: 9 PB of memory, enough for an edge box.
 */
import { quantityMilliValue, quantityValue, tryParseQuantity } from '../api/quantity.ts';
import type { Container, PodSpec, ResourceList } from '../api/types/pod.ts';

/** A pod's request or a node's allocatable: cpu in millicores, memory and the rest in units. */
export interface Resources {
  cpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources (`nvidia.com/gpu`, `hugepages-2Mi`, ...) that are non-zero. */
  scalars: Map<string, number>;
}

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** What kube-scheduler assumes for scoring when a container requests nothing (100m, 200Mi). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { cpu: 0, memory: 0, ephemeralStorage: 0, scalars: new Map() };
}

export function cloneResources(r: Resources): Resources {
  return { cpu: r.cpu, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalars: new Map(r.scalars) };
}

/** One resource of a list as a number; a missing or unparsable entry is 0 (validation rejects those). */
export function resourceAmount(list: ResourceList | undefined, name: string): number {
  const text = list?.[name];
  if (text === undefined) return 0;
  const q = tryParseQuantity(text);
  if (q === undefined) return 0;
  return Number(name === CPU ? quantityMilliValue(q) : quantityValue(q));
}

/** A ResourceList as Resources (`pods` is not part of it: it is counted separately). */
export function fromResourceList(list: ResourceList | undefined): Resources {
  const r = emptyResources();
  if (list === undefined) return r;
  for (const name of Object.keys(list)) {
    const v = resourceAmount(list, name);
    if (name === CPU) r.cpu = v;
    else if (name === MEMORY) r.memory = v;
    else if (name === EPHEMERAL_STORAGE) r.ephemeralStorage = v;
    else if (name !== PODS && v !== 0) r.scalars.set(name, v);
  }
  return r;
}

export function addInto(into: Resources, r: Resources, sign: 1 | -1 = 1): void {
  into.cpu += sign * r.cpu;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalars) {
    const next = (into.scalars.get(k) ?? 0) + sign * v;
    if (next === 0) into.scalars.delete(k);
    else into.scalars.set(k, next);
  }
}

function maxInto(into: Resources, r: Resources): void {
  into.cpu = Math.max(into.cpu, r.cpu);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalars) into.scalars.set(k, Math.max(into.scalars.get(k) ?? 0, v));
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = fromResourceList(c.resources?.requests);
  if (nonZero) {
    if (c.resources?.requests?.[CPU] === undefined) r.cpu = DEFAULT_MILLI_CPU_REQUEST;
    if (c.resources?.requests?.[MEMORY] === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * The pod's effective request, as the kubelet admits it: the sum over app containers and sidecars,
 * or the largest single init step (an init container plus the sidecars started before it) if larger.
 * `nonZero` substitutes kube-scheduler's defaults for missing cpu/memory requests (for scoring only,
 * so that BestEffort pods still spread).
 */
export function podRequests(spec: PodSpec, nonZero = false): Resources {
  const sum = emptyResources();
  for (const c of spec.containers) addInto(sum, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initPeak = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      maxInto(initPeak, sidecars);
    } else {
      const step = cloneResources(sidecars);
      addInto(step, r);
      maxInto(initPeak, step);
    }
  }
  addInto(sum, sidecars);
  maxInto(sum, initPeak);
  return sum;
}
