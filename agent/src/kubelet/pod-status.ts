/**
 * The pod's status as a pure function of its spec, what the runtime holds, the probe outcomes, the
 * back-offs and the errors the worker met (Kubernetes' generateAPIPodStatus and getPhase): phase,
 * the four conditions, a status per container with state, lastState, restartCount and readiness.
 */
import type { Condition } from '../api/types/meta.ts';
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodPhase,
  PodStatus,
} from '../api/types/pod.ts';
import {
  latestRun,
  type ObservedPod,
  type ProbeOutcomes,
  type RuntimeContainer,
  runsOf,
} from './observed-pod.ts';
import { type BackOffWait, initContainersDone, podIsTerminal, shouldRestart } from './pod-actions.ts';

/** A reason the worker could not start a container (config, image, volume): shown as `waiting`. */
export interface ContainerProblem {
  readonly reason: string;
  readonly message: string;
}

export interface PodStatusInput {
  readonly pod: Pod;
  readonly observed: ObservedPod;
  readonly probes: ProbeOutcomes;
  readonly backOffs: ReadonlyMap<string, BackOffWait>;
  /** Per container name: why its last start failed. */
  readonly problems: ReadonlyMap<string, ContainerProblem>;
  /** Why the pod as a whole cannot run yet (volumes, an unsupported feature): every container waits. */
  readonly podProblem?: ContainerProblem | undefined;
  readonly hostIP: string;
  readonly now: Date;
}

const RUNTIME_SCHEME = 'podman://';

function time(d: Date | undefined): string | undefined {
  return d === undefined ? undefined : `${d.toISOString().slice(0, 19)}Z`;
}

function terminated(run: RuntimeContainer): ContainerState {
  const t: NonNullable<ContainerState['terminated']> = {
    exitCode: run.exitCode ?? -1,
    reason: run.reason ?? (run.exitCode === 0 ? 'Completed' : 'Error'),
    containerID: RUNTIME_SCHEME + run.id,
  };
  const started = time(run.startedAt);
  const finished = time(run.finishedAt);
  if (started) t.startedAt = started;
  if (finished) t.finishedAt = finished;
  if (run.message) t.message = run.message;
  return { terminated: t };
}

function containerStatus(
  c: Container,
  init: boolean,
  input: PodStatusInput,
  waitingReason: string,
): ContainerStatus {
  const runs = runsOf(input.observed, c.name);
  const [latest, previous] = runs;
  const status: ContainerStatus = {
    name: c.name,
    image: c.image ?? '',
    imageID: latest?.imageId ?? '',
    ready: false,
    restartCount: latest?.attempt ?? 0,
    started: false,
  };
  if (latest) status.containerID = RUNTIME_SCHEME + latest.id;
  const problem = input.problems.get(c.name) ?? input.podProblem;
  const backOff = input.backOffs.get(c.name);

  if (latest?.state === 'running') {
    const startedAt = time(latest.startedAt);
    status.state = { running: startedAt ? { startedAt } : {} };
    if (previous?.state === 'exited') status.lastState = terminated(previous);
    const startupOk = !c.startupProbe || input.probes.startup.get(latest.id)?.result === 'success';
    status.started = startupOk;
    if (init) status.ready = false;
    else
      status.ready =
        startupOk && (!c.readinessProbe || input.probes.readiness.get(latest.id)?.result === 'success');
    return status;
  }
  if (latest?.state === 'exited' && backOff) {
    const seconds = Math.round(backOff.delayMs / 1000);
    status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${seconds}s restarting failed container=${c.name} pod=${input.pod.metadata.name}_${input.pod.metadata.namespace}(${input.pod.metadata.uid})`,
      },
    };
    status.lastState = terminated(latest);
    return status;
  }
  if (problem && latest?.state !== 'exited') {
    status.state = { waiting: { reason: problem.reason, message: problem.message } };
    if (latest && previous?.state === 'exited') status.lastState = terminated(previous);
    return status;
  }
  if (latest?.state === 'exited') {
    status.state = terminated(latest);
    if (init && latest.exitCode === 0) status.ready = true;
    if (previous?.state === 'exited') status.lastState = terminated(previous);
    return status;
  }
  status.state = { waiting: { reason: waitingReason } };
  if (latest && previous?.state === 'exited') status.lastState = terminated(previous);
  return status;
}

/** Kubernetes' getPhase over the app containers' newest runs. */
export function podPhase(pod: Pod, observed: ObservedPod): PodPhase {
  const policy = pod.spec.restartPolicy ?? 'Always';
  const initFailed = (pod.spec.initContainers ?? []).some((c) => {
    const run = latestRun(observed, c.name);
    return run?.state === 'exited' && run.exitCode !== 0;
  });
  if (policy === 'Never' && initFailed) return 'Failed';
  if (!initContainersDone(pod, observed) || observed.sandbox === undefined) {
    return podIsTerminal(pod, observed) ? terminalPhase(pod, observed) : 'Pending';
  }
  let waiting = 0;
  let running = 0;
  for (const c of pod.spec.containers) {
    const run = latestRun(observed, c.name);
    if (run === undefined || run.state === 'created' || run.state === 'unknown') waiting++;
    else if (run.state === 'running' || shouldRestart(policy, run.exitCode)) running++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  return terminalPhase(pod, observed);
}

function terminalPhase(pod: Pod, observed: ObservedPod): PodPhase {
  const anyFailed = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].some((c) => {
    const run = latestRun(observed, c.name);
    return run?.state === 'exited' && run.exitCode !== 0;
  });
  return anyFailed ? 'Failed' : 'Succeeded';
}

function condition(
  type: string,
  ok: boolean,
  previous: readonly Condition[],
  now: Date,
  reason?: string,
  message?: string,
): Condition {
  const status = ok ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  const c: Condition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : time(now),
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function generatePodStatus(input: PodStatusInput): PodStatus {
  const { pod, observed, now } = input;
  const previous = pod.status ?? {};
  const prevConditions = previous.conditions ?? [];
  const initDone = initContainersDone(pod, observed);
  const phase = podPhase(pod, observed);
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const initStatuses = (pod.spec.initContainers ?? []).map((c) =>
    containerStatus(c, true, input, 'PodInitializing'),
  );
  const appStatuses = pod.spec.containers.map((c) =>
    containerStatus(c, false, input, initDone ? 'ContainerCreating' : 'PodInitializing'),
  );

  const incompleteInit = initDone
    ? []
    : (pod.spec.initContainers ?? [])
        .filter((c) => {
          const run = latestRun(observed, c.name);
          return !(run?.state === 'exited' && run.exitCode === 0);
        })
        .map((c) => c.name);
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const probeWhy = unready
    .map((name) => {
      const run = latestRun(observed, name);
      const failed = run && input.probes.readiness.get(run.id);
      return failed?.result === 'failure' && failed.message ? `${name}: ${failed.message}` : undefined;
    })
    .filter((m): m is string => m !== undefined);
  const unreadyMessage = `containers with unready status: [${unready.join(' ')}]${probeWhy.length ? `; readiness probe failed: ${probeWhy.join('; ')}` : ''}`;
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';

  const conditions: Condition[] = [
    condition(
      'Initialized',
      initDone,
      prevConditions,
      now,
      'ContainersNotInitialized',
      `containers with incomplete status: [${incompleteInit.join(' ')}]`,
    ),
    condition('Ready', unready.length === 0 && !terminal, prevConditions, now, readyReason, unreadyMessage),
    condition(
      'ContainersReady',
      unready.length === 0 && !terminal,
      prevConditions,
      now,
      readyReason,
      unreadyMessage,
    ),
    condition('PodScheduled', true, prevConditions, now),
  ];

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIP,
    containerStatuses: appStatuses,
  };
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  const podIP = observed.sandbox?.ip ?? previous.podIP;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  const startTime = previous.startTime ?? time(observed.sandbox?.createdAt ?? now);
  if (startTime) status.startTime = startTime;
  if (previous.qosClass) status.qosClass = previous.qosClass;
  return status;
}
