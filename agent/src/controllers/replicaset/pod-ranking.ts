/**
 * Which pods a ReplicaSet deletes first when it scales down, in Kubernetes' order
 * (controller.ActivePodsWithRanks): unscheduled before scheduled, Pending before Unknown before
 * Running, not ready before ready, pods doubled up on a node before lone ones, recently ready
 * before long ready, more restarts before fewer, newer before older. The cheapest pods to lose go
 * first, and a scale-down spreads what remains across nodes.
 */

import type { Pod } from '../../api/types/pod.ts';
import { parseTime } from '../runtime/clock.ts';
import { creationTime, isPodReady, podCondition } from '../runtime/objects.ts';

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

const restarts = (p: Pod): number =>
  (p.status?.containerStatuses ?? []).reduce((n, c) => Math.max(n, c.restartCount ?? 0), 0);

/** The pods in deletion order (first = deleted first). */
export function deletionOrder(pods: readonly Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec.nodeName ?? '';
    if (n !== '') perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const rank = (p: Pod): number => perNode.get(p.spec.nodeName ?? '') ?? 0;
  return [...pods].sort((a, b) => {
    const aAssigned = (a.spec.nodeName ?? '') !== '';
    const bAssigned = (b.spec.nodeName ?? '') !== '';
    if (aAssigned !== bAssigned) return aAssigned ? 1 : -1;
    const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a);
    const rb = isPodReady(b);
    if (ra !== rb) return ra ? 1 : -1;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ra && rb) {
      const ta = parseTime(podCondition(a, 'Ready')?.lastTransitionTime) ?? 0;
      const tb = parseTime(podCondition(b, 'Ready')?.lastTransitionTime) ?? 0;
      if (ta !== tb) return tb - ta;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = creationTime(a);
    const cb = creationTime(b);
    if (ca !== cb) return cb - ca;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
  });
}
