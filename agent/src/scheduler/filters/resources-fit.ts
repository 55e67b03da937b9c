/** Requests fit: the node's summed requests plus the pod's must stay within allocatable. */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import { insufficient, type Reasons, TOO_MANY_PODS } from '../reasons.ts';
import { CPU, EPHEMERAL_STORAGE, MEMORY } from '../resources.ts';

const INSUFFICIENT_CPU = insufficient(CPU);
const INSUFFICIENT_MEMORY = insufficient(MEMORY);
const INSUFFICIENT_STORAGE = insufficient(EPHEMERAL_STORAGE);

/**
 * Every shortfall is reported (a node short of cpu and memory counts in both), in kube-scheduler's
 * order: pods, cpu, memory, ephemeral-storage, extended resources.
 */
export function nodeResourcesFit(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  const req = pod.requests;
  const alloc = node.allocatable;
  const used = node.requested;
  let reasons: string[] | undefined;
  const fail = (r: string) => {
    reasons ??= [];
    reasons.push(r);
  };
  if (node.pods.size + 1 > node.allowedPods) fail(TOO_MANY_PODS);
  if (req.cpu > 0 && used.cpu + req.cpu > alloc.cpu) fail(INSUFFICIENT_CPU);
  if (req.memory > 0 && used.memory + req.memory > alloc.memory) fail(INSUFFICIENT_MEMORY);
  if (req.ephemeralStorage > 0 && used.ephemeralStorage + req.ephemeralStorage > alloc.ephemeralStorage)
    fail(INSUFFICIENT_STORAGE);
  for (const [name, amount] of req.scalars) {
    if ((used.scalars.get(name) ?? 0) + amount > (alloc.scalars.get(name) ?? 0)) fail(insufficient(name));
  }
  return reasons;
}
