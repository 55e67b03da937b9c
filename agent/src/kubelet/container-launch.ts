/**
 * Starting one run of a container in a pod's sandbox, as Kubernetes does: prepare its config
 * (container-start.ts), remove the run it replaces, create, start, Started event, then the
 * postStart hook; the run counts as running only once the hook returns, and a failed hook kills it
 * (FailedPostStartHook) for the restart policy to decide.
 */
import type { Pod } from '../api/types/pod.ts';
import { createdRun, prepareContainer } from './container-start.ts';
import { runLifecycleHook } from './lifecycle-hooks.ts';
import type { ObservedSandbox, RuntimeContainer } from './observed-pod.ts';
import type { PodAction } from './pod-actions.ts';
import type { ContainerProblem } from './pod-status.ts';
import { hookTarget, killContainer } from './pod-termination.ts';
import type { PodVolumes } from './pod-volumes.ts';
import type { WorkerContext } from './worker-context.ts';

export type StartAction = Extract<PodAction, { type: 'startContainer' }>;

/** The pod worker's state a start reads and updates. */
export interface LaunchSite {
  readonly pod: Pod;
  readonly sandbox: ObservedSandbox;
  readonly volumes: PodVolumes;
  /** Why each container cannot start; a start records its problem here, or clears it. */
  readonly problems: Map<string, ContainerProblem>;
  /** The sandbox's address as known now (a new sandbox's is read while its containers are created). */
  podIP(): string | undefined;
  /** Settles once a new sandbox's address has been read. */
  sandboxAddressKnown(): Promise<void>;
  /** Applies a change to the worker's view of the pod's runs. */
  updateRuns(change: (runs: readonly RuntimeContainer[]) => RuntimeContainer[]): void;
}

/**
 * Starts the run; false when it could not (the problem is in `site.problems`), true when it runs,
 * or its id when a failed postStart hook killed it (the caller inspects it).
 */
export async function launchContainer(
  ctx: WorkerContext,
  site: LaunchSite,
  action: StartAction,
): Promise<boolean | string> {
  const { runtime } = ctx;
  const { pod, sandbox, problems } = site;
  const c = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
    (x) => x.name === action.container,
  );
  if (!c) return false;
  if (JSON.stringify(c.env ?? []).includes('status.podIP')) await site.sandboxAddressKnown();
  const problem = await prepareContainer(pod, c, action.attempt, {
    images: ctx.images,
    client: ctx.client,
    podIP: site.podIP(),
    hostIP: ctx.hostIP,
    clusterEnv: ctx.clusterEnv,
    volumes: site.volumes,
  });
  if ('reason' in problem) {
    if (problems.get(c.name)?.message !== problem.message)
      ctx.record(pod, 'Warning', 'Failed', `Error: ${problem.reason}: ${problem.message}`);
    problems.set(c.name, problem);
    return false;
  }
  const replaces = action.replaces;
  if (replaces) {
    await runtime.removeContainer(replaces);
    site.updateRuns((runs) => runs.filter((x) => x.id !== replaces));
  }
  const id = await runtime.createContainer(sandbox.id, problem.config);
  problems.delete(c.name);
  // Known before the start, so a failed start still leaves a 'created' run to replace.
  site.updateRuns((runs) => [...runs, createdRun(id, c.name, action.attempt, sandbox.id)]);
  await runtime.startContainer(id);
  ctx.record(pod, 'Normal', 'Started', `Started container ${c.name}`);
  // `start` returns once the process runs; record that rather than inspect it again. A run that
  // exits at once is seen by the next relist, which also brings the image id.
  site.updateRuns((runs) =>
    runs.map((x) =>
      x.id === id ? { ...x, state: 'running' as const, startedAt: new Date(), image: c.image ?? '' } : x,
    ),
  );
  const postStart = c.lifecycle?.postStart;
  if (postStart === undefined) return true;
  // Like Kubernetes, the container is not running for us until its postStart hook returns.
  if (postStart.httpGet && !postStart.httpGet.host) await site.sandboxAddressKnown();
  const failure = await runLifecycleHook(
    'PostStart',
    postStart,
    hookTarget(ctx, pod, c, id, site.podIP()),
    pod.spec.terminationGracePeriodSeconds ?? 30,
  );
  if (failure === undefined) return true;
  ctx.record(pod, 'Warning', 'FailedPostStartHook', failure);
  await killContainer(ctx, pod, site.podIP(), c.name, id, `FailedPostStartHook: ${failure}`);
  // Inspected by the caller: the run is exited now, and the restart policy takes it from there.
  return id;
}
