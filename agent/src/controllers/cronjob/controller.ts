/** The CronJob controller's wiring: its Jobs' changes concern it. */
import type { CronJob, Job } from '../../api/types/batch.ts';
import { NOTHING_TO_DO } from '../runtime/actions.ts';
import { CRONJOBS, JOBS } from '../runtime/client.ts';
import type { ControllerDefinition } from '../runtime/controller.ts';
import { controllerOf, splitKey } from '../runtime/objects.ts';
import { reconcileCronJob } from './reconcile.ts';

export function cronJobController(): ControllerDefinition {
  return {
    name: 'cronjob-controller',
    primary: CRONJOBS,
    watches: [
      {
        ref: JOBS,
        keys: (j) => {
          const c = controllerOf(j);
          return c?.kind === 'CronJob' ? [`${j.metadata.namespace ?? ''}/${c.name}`] : [];
        },
      },
    ],
    reconcile(key, view, now) {
      const { namespace, name } = splitKey(key);
      const cronJob = view.get(CRONJOBS, namespace, name) as CronJob | undefined;
      if (cronJob === undefined) return NOTHING_TO_DO;
      return reconcileCronJob({ cronJob, jobs: view.list(JOBS, namespace) as Job[], now });
    },
  };
}
