/**
 * One node's lifecycle, given when its heartbeat was last seen to move and what gossip says:
 *
 *   heartbeat stale or gossip dead ─> Ready=Unknown, pods marked not ready,
 *                                     taints unreachable:NoSchedule + unreachable:NoExecute
 *   kubelet reports Ready=False    ─> taints not-ready:NoSchedule + not-ready:NoExecute
 *   Ready=True and fresh           ─> our taints removed (the node is back)
 *   NoExecute taint ─> each pod not tolerating it is evicted at taint time + its tolerationSeconds
 *                      (or kedge's default for its case); tolerating forever means never
 */
import type { Node, Taint } from '../../api/types/core.ts';
import type { Condition } from '../../api/types/meta.ts';
import type { Pod, Toleration } from '../../api/types/pod.ts';
import { type Action, event, mutable, type Reconciliation, soonest } from '../runtime/actions.ts';
import { NODES, PODS } from '../runtime/client.ts';
import { parseTime, timestamp } from '../runtime/clock.ts';
import { isDeleting, isPodReady, isPodTerminal } from '../runtime/objects.ts';
import { type GossipHealth, type NodeLifecycleConfig, TAINT_NOT_READY, TAINT_UNREACHABLE } from './config.ts';

export interface NodeInput {
  readonly node: Node;
  readonly pods: readonly Pod[];
  /** When this controller last saw the heartbeat move (ms). */
  readonly lastHeartbeatAt: number;
  readonly gossip: GossipHealth | undefined;
  /** When gossip's dead verdict was first seen (ms), while it stands. */
  readonly deadSince: number | undefined;
  readonly now: number;
  readonly config: NodeLifecycleConfig;
}

const OURS = new Set([TAINT_UNREACHABLE, TAINT_NOT_READY]);

export const readyCondition = (n: Node): Condition | undefined =>
  n.status?.conditions?.find((c) => c.type === 'Ready');

/** Does a toleration tolerate a taint (Kubernetes' ToleratesTaint)? */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if ((t.key ?? '') !== '' && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** Seconds a pod may stay under a NoExecute taint: undefined = forever, or the toleration's limit. */
function toleratedSeconds(pod: Pod, taint: Taint): number | 'none' | undefined {
  const matching = (pod.spec.tolerations ?? []).filter((t) => tolerates(t, taint));
  if (matching.length === 0) return 'none';
  let min: number | undefined;
  for (const t of matching) {
    if (t.tolerationSeconds === undefined) continue;
    min = min === undefined ? t.tolerationSeconds : Math.min(min, t.tolerationSeconds);
  }
  // A toleration without seconds among them: tolerated forever only if every match is unbounded.
  return matching.some((t) => t.tolerationSeconds === undefined) && min === undefined ? undefined : min;
}

export function reconcileNode(input: NodeInput): Reconciliation {
  const { node, now, config } = input;
  const name = node.metadata.name ?? '';
  const dead = input.gossip === 'dead';
  const stale = now - input.lastHeartbeatAt > config.heartbeatGraceSeconds * 1000;
  const ready = readyCondition(node);
  const actions: Action[] = [];

  // 1. The Ready condition: a node we cannot hear from is Unknown, whatever it last said.
  if ((dead || stale) && ready?.status !== 'Unknown') {
    const next = mutable(node);
    const conds = (next.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const message = dead ? 'Gossip reports the node dead.' : 'Kubelet stopped posting node status.';
    const c: Condition = {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message,
      lastTransitionTime: timestamp(now),
    };
    if (ready?.lastHeartbeatTime !== undefined) c.lastHeartbeatTime = ready.lastHeartbeatTime;
    next.status = { ...next.status, conditions: [...conds, c] };
    actions.push({ kind: 'updateStatus', ref: NODES, object: next });
    actions.push(event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`));
    // Ready=Unknown on the node changes the resourceVersion; the taints follow on the next pass.
    return { actions, requeueAfterMs: 0 };
  }
  const effective = dead || stale ? 'Unknown' : (ready?.status ?? 'Unknown');

  // 2. Taints follow the condition.
  const key =
    effective === 'Unknown' ? TAINT_UNREACHABLE : effective === 'False' ? TAINT_NOT_READY : undefined;
  const current = node.spec?.taints ?? [];
  const others = current.filter((t) => !OURS.has(t.key));
  const wanted: Taint[] =
    key === undefined
      ? []
      : (['NoSchedule', 'NoExecute'] as const).map(
          (effect) =>
            current.find((t) => t.key === key && t.effect === effect) ?? {
              key,
              effect,
              timeAdded: timestamp(now),
            },
        );
  const ours = current.filter((t) => OURS.has(t.key));
  if (JSON.stringify(ours) !== JSON.stringify(wanted)) {
    const next = mutable(node);
    next.spec = { ...next.spec, taints: [...others, ...wanted] };
    if (next.spec.taints?.length === 0) delete next.spec.taints;
    actions.push({ kind: 'update', ref: NODES, object: next });
    if (key === undefined)
      actions.push(event(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`));
  }

  // 3. Pods: not ready while the node is unheard; evicted when their toleration runs out.
  let wake: number | undefined =
    stale || dead ? undefined : input.lastHeartbeatAt + config.heartbeatGraceSeconds * 1000 - now + 1;
  const noExecute = wanted.find((t) => t.effect === 'NoExecute');
  for (const pod of input.pods) {
    if (isDeleting(pod) || isPodTerminal(pod)) continue;
    if (effective === 'Unknown' && isPodReady(pod)) {
      const next = mutable(pod);
      next.status = {
        ...next.status,
        conditions: (next.status?.conditions ?? []).map((c) =>
          c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: timestamp(now) } : c,
        ),
      };
      actions.push({ kind: 'updateStatus', ref: PODS, object: next });
    }
    if (noExecute === undefined) continue;
    const tolerated = toleratedSeconds(pod, noExecute);
    if (tolerated === undefined) continue;
    const since = parseTime(noExecute.timeAdded) ?? now;
    let at: number;
    if (tolerated === 'none') {
      const seconds =
        key === TAINT_NOT_READY ? config.notReadyEvictionSeconds : config.unreachableEvictionSeconds;
      at = since + seconds * 1000;
      if (dead && key === TAINT_UNREACHABLE)
        at = Math.min(at, (input.deadSince ?? now) + config.deadEvictionSeconds * 1000);
    } else at = since + tolerated * 1000;
    if (at > now) {
      wake = soonest(wake, at - now);
      continue;
    }
    actions.push({
      kind: 'delete',
      ref: PODS,
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      preconditions: { uid: pod.metadata.uid ?? '' },
      ...(dead && config.forceDeleteOnDead ? { gracePeriodSeconds: 0 } : {}),
    });
    actions.push(
      event(
        pod,
        'Normal',
        'TaintManagerEviction',
        `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`,
      ),
    );
  }
  return wake === undefined ? { actions } : { actions, requeueAfterMs: Math.max(0, wake) };
}
