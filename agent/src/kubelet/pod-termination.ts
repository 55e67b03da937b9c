/**
 * Ending containers the way Kubernetes does: a Killing event, the preStop hooks within the
 * termination grace period, then SIGTERM with what is left of it (SIGKILL after). One container
 * (a failed liveness or startup probe, a failed postStart) or the whole pod on deletion: its
 * sandboxes, containers and volumes, and last the API object (finalizePodDeletion, uid precondition).
 */
import { StatusError } from '../api/errors.ts';
import type { Container, Pod } from '../api/types/pod.ts';
import { LABEL } from '../runtime/labels.ts';
import { type HookTarget, runPreStopHooks } from './lifecycle-hooks.ts';
import { tearDownVolumes } from './pod-volumes.ts';
import type { WorkerContext } from './worker-context.ts';

/** Where a container's hooks run: the container and, for httpGet hooks, the pod's address. */
export function hookTarget(
  ctx: WorkerContext,
  pod: Pod,
  container: Container,
  containerId: string,
  podIP: string | undefined,
): HookTarget {
  return { pod, container, containerId, podIP, runtime: ctx.runtime };
}

/** Stops one container: its preStop hook within the grace period, then SIGTERM with what is left. */
export async function killContainer(
  ctx: WorkerContext,
  pod: Pod,
  podIP: string | undefined,
  name: string,
  containerId: string,
  why: string,
): Promise<void> {
  ctx.record(pod, 'Normal', 'Killing', `Stopping container ${name}: ${why}`);
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  const c = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((x) => x.name === name);
  const left = c
    ? await runPreStopHooks([hookTarget(ctx, pod, c, containerId, podIP)], grace, (_, message) =>
        ctx.record(pod, 'Warning', 'FailedPreStopHook', message),
      )
    : grace;
  await ctx.runtime.stopContainer(containerId, left);
}

export interface PodTermination {
  readonly pod: Pod;
  readonly uid: string;
  /** The pod's address while its sandbox runs, for httpGet preStop hooks. */
  readonly podIP: string | undefined;
  /** The API object is already gone (grace 0 or a DELETED watch event): nothing to finalize. */
  isRemoved(): boolean;
}

/**
 * Graceful stop (preStop hooks, SIGTERM, the grace period, SIGKILL), removal of everything, then
 * the API object. 'retry' when the API would not take the final deletion yet.
 */
export async function terminatePod(ctx: WorkerContext, t: PodTermination): Promise<'finished' | 'retry'> {
  const { pod, uid } = t;
  const { runtime } = ctx;
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const sandboxes = await runtime.listPodSandboxes({ [LABEL.podUid]: uid });
  const running = sandboxes.some((s) => s.state === 'ready')
    ? (await runtime.listContainers({ [LABEL.podUid]: uid })).filter((r) => r.state === 'running')
    : [];
  const targets = running.flatMap((r) => {
    const c = pod.spec.containers.find((x) => x.name === r.name);
    return c ? [hookTarget(ctx, pod, c, r.id, t.podIP)] : [];
  });
  const left = await runPreStopHooks(targets, grace, (_, message) =>
    ctx.record(pod, 'Warning', 'FailedPreStopHook', message),
  );
  for (const s of sandboxes) {
    if (s.state === 'ready') await runtime.stopPodSandbox(s.id, left);
    await runtime.removePodSandbox(s.id);
  }
  for (const c of await runtime.listContainers({ [LABEL.podUid]: uid })) await runtime.removeContainer(c.id);
  await tearDownVolumes(ctx.volumes.dataDir, uid);
  if (t.isRemoved()) return 'finished';
  const namespace = pod.metadata.namespace ?? 'default';
  const out = await ctx.client.finalizePodDeletion(namespace, pod.metadata.name ?? '', uid);
  if (out instanceof StatusError && out.reason !== 'NotFound' && out.reason !== 'Conflict') {
    ctx.log(
      `pod ${pod.metadata.namespace}/${pod.metadata.name}: could not finish its deletion: ${out.message}; retrying`,
    );
    return 'retry';
  }
  return 'finished';
}
