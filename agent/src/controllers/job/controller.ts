/** The Job controller's wiring. */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { Job } from '../../api/types/batch.ts';
import type { Pod } from '../../api/types/pod.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { JOBS, PODS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { splitKey } from '../runtime/objects.ts';
import { ownerKeys } from '../shared/owner-keys.ts';
import { DEFAULT_JOB_CONFIG, type JobConfig, reconcileJob } from './reconcile.ts';

export function jobController(
  options: { random?: () => number; config?: Partial<JobConfig> } = {},
): ControllerDefinition {
  const random = options.random ?? Math.random;
  const config = { ...DEFAULT_JOB_CONFIG, ...options.config };
  return {
    name: 'job-controller',
    primary: JOBS,
    watches: [
      { ref: PODS, keys: ownerKeys('Job', JOBS, (j) => selectorFromLabelSelector((j as Job).spec.selector)) },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const job = view.get(JOBS, namespace, name) as Job | undefined;
      if (job === undefined) return NOTHING_TO_DO;
      return reconcileJob({ job, pods: view.list(PODS, namespace) as Pod[], now, random, config });
    },
  };
}
