/**
 * `rollout status` for a Deployment: kubectl's exact messages and the same decision order
 * (polymorphichelpers/rollout_status.go). Pure: one Deployment in, one verdict out.
 */
import type { Deployment } from '../api.ts';

export type RolloutVerdict =
  | { readonly done: false; readonly message: string }
  | { readonly done: true; readonly message: string }
  | { readonly failed: true; readonly message: string };

export function deploymentRolloutStatus(d: Deployment): RolloutVerdict {
  const name = d.metadata.name ?? '';
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0))
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  if (total > updated)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
