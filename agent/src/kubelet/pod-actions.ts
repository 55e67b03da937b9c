/**
 * What to do next for one pod, as a pure function of its spec, what the runtime holds, the probe
 * outcomes and the time (the kubelet's computePodActions in Kubernetes' kuberuntime_manager.go,
 * reduced to kedge's runtime): make a sandbox, run init containers one at a time to completion,
 * start app containers, restart them by policy with back-off, kill the ones probes condemn, collect
 * old runs. The pod worker carries the actions out and calls this again with the new state.
 */
import type { Container, Pod, RestartPolicy } from '../api/types/pod.ts';
import {
  latestRun,
  type ObservedPod,
  type ProbeOutcomes,
  type RuntimeContainer,
  runsOf,
} from './observed-pod.ts';
import { type BackOffPolicy, restartDelayMs } from './restart-backoff.ts';

export type PodAction =
  | { readonly type: 'createSandbox' }
  /** The sandbox is dead (its network namespace is gone): remove it and its containers, then recreate. */
  | { readonly type: 'removeSandbox'; readonly sandboxId: string; readonly reason: string }
  /** The pod is finished: stop the pause container, keep the exited containers for status and logs. */
  | { readonly type: 'stopSandbox'; readonly sandboxId: string }
  | {
      readonly type: 'startContainer';
      readonly container: string;
      readonly init: boolean;
      readonly attempt: number;
      /** A run that never started (created, then a failed start) to remove before starting again. */
      readonly replaces?: string;
    }
  | {
      readonly type: 'killContainer';
      readonly container: string;
      readonly containerId: string;
      readonly reason: string;
      readonly message: string;
    }
  | { readonly type: 'removeContainer'; readonly containerId: string };

/** A container that has to wait before its next start (Kubernetes' CrashLoopBackOff). */
export interface BackOffWait {
  readonly until: number;
  readonly delayMs: number;
}

export interface PodPlan {
  readonly actions: readonly PodAction[];
  readonly backOffs: ReadonlyMap<string, BackOffWait>;
  /** When the worker must look again even if nothing happens (the earliest back-off end). */
  readonly wakeAt: number | undefined;
}

export interface PodActionsInput {
  readonly pod: Pod;
  readonly observed: ObservedPod;
  readonly probes: ProbeOutcomes;
  readonly backOff: BackOffPolicy;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/** Runs kept per container: the current one and the previous one (for lastState and `logs --previous`). */
const RUNS_KEPT = 2;

export function shouldRestart(policy: RestartPolicy, exitCode: number | undefined): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** True when every app container has finished for good under the restart policy. */
export function podIsTerminal(pod: Pod, observed: ObservedPod): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (initFailedForGood(pod, observed)) return true;
  if (policy === 'Always') return false;
  return pod.spec.containers.every((c) => {
    const run = latestRun(observed, c.name);
    return run !== undefined && run.state === 'exited' && !shouldRestart(policy, run.exitCode);
  });
}

function initFailedForGood(pod: Pod, observed: ObservedPod): boolean {
  if ((pod.spec.restartPolicy ?? 'Always') !== 'Never') return false;
  return (pod.spec.initContainers ?? []).some((c) => {
    const run = latestRun(observed, c.name);
    return run?.state === 'exited' && run.exitCode !== 0;
  });
}

/** Init containers are done when each one's newest run exited 0, or once any app container has run. */
export function initContainersDone(pod: Pod, observed: ObservedPod): boolean {
  if (pod.spec.containers.some((c) => latestRun(observed, c.name) !== undefined)) return true;
  return (pod.spec.initContainers ?? []).every((c) => {
    const run = latestRun(observed, c.name);
    return run?.state === 'exited' && run.exitCode === 0;
  });
}

export function computePodActions(input: PodActionsInput): PodPlan {
  const { pod, observed } = input;
  const actions: PodAction[] = [];
  const backOffs = new Map<string, BackOffWait>();
  const sandbox = observed.sandbox;

  if (sandbox === undefined || !sandbox.ready) {
    // A finished pod whose sandbox stopped stays as it is: its containers are kept for status and logs.
    if (sandbox !== undefined && podIsTerminal(pod, observed)) return plan(actions, backOffs);
    if (sandbox !== undefined)
      actions.push({
        type: 'removeSandbox',
        sandboxId: sandbox.id,
        reason: 'the pod sandbox is not running',
      });
    actions.push({ type: 'createSandbox' });
    return plan(actions, backOffs);
  }

  collectOldRuns(pod, observed, actions);

  if (podIsTerminal(pod, observed)) {
    actions.push({ type: 'stopSandbox', sandboxId: sandbox.id });
    return plan(actions, backOffs);
  }

  const policy = pod.spec.restartPolicy ?? 'Always';
  if (!initContainersDone(pod, observed)) {
    for (const c of pod.spec.initContainers ?? []) {
      const run = latestRun(observed, c.name);
      if (run?.state === 'exited' && run.exitCode === 0) continue;
      // Init containers restart on failure unless the pod's policy is Never (then the pod failed).
      const step = nextStep(c, run, policy === 'Never' ? 'Never' : 'OnFailure', input, true);
      if (step.action) actions.push(step.action);
      if (step.backOff) backOffs.set(c.name, step.backOff);
      break;
    }
    return plan(actions, backOffs);
  }

  for (const c of pod.spec.containers) {
    const run = latestRun(observed, c.name);
    const step = nextStep(c, run, policy, input, false);
    if (step.action) actions.push(step.action);
    if (step.backOff) backOffs.set(c.name, step.backOff);
  }
  return plan(actions, backOffs);
}

function nextStep(
  c: Container,
  run: RuntimeContainer | undefined,
  policy: RestartPolicy,
  input: PodActionsInput,
  init: boolean,
): { action?: PodAction; backOff?: BackOffWait } {
  if (run === undefined) return { action: { type: 'startContainer', container: c.name, init, attempt: 0 } };
  if (run.state === 'created') {
    // Created but never started (the start failed): start a fresh run under the same attempt number.
    return {
      action: { type: 'startContainer', container: c.name, init, attempt: run.attempt, replaces: run.id },
    };
  }
  if (run.state === 'running') {
    if (init) return {};
    const startup = input.probes.startup.get(run.id);
    if (c.startupProbe && startup?.result === 'failure')
      return { action: kill(c, run, 'StartupProbeFailed', startup.message ?? 'startup probe failed') };
    const liveness = input.probes.liveness.get(run.id);
    if (c.livenessProbe && liveness?.result === 'failure')
      return { action: kill(c, run, 'LivenessProbeFailed', liveness.message ?? 'liveness probe failed') };
    return {};
  }
  if (run.state !== 'exited' || !shouldRestart(policy, run.exitCode)) return {};
  const delayMs = restartDelayMs(input.backOff, run.attempt, run.startedAt, run.finishedAt);
  const finished = run.finishedAt?.getTime() ?? input.now;
  if (input.now < finished + delayMs) return { backOff: { until: finished + delayMs, delayMs } };
  return { action: { type: 'startContainer', container: c.name, init, attempt: run.attempt + 1 } };
}

function kill(c: Container, run: RuntimeContainer, reason: string, message: string): PodAction {
  return { type: 'killContainer', container: c.name, containerId: run.id, reason, message };
}

function collectOldRuns(pod: Pod, observed: ObservedPod, actions: PodAction[]): void {
  const names = new Set([...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name));
  for (const name of names) {
    for (const old of runsOf(observed, name).slice(RUNS_KEPT)) {
      if (old.state !== 'running') actions.push({ type: 'removeContainer', containerId: old.id });
    }
  }
  // Runs of containers the spec no longer names (the spec cannot change, but an adopted pod can
  // carry runs of another uid's sandbox) are not ours to keep.
  for (const c of observed.containers) {
    if (!names.has(c.name)) actions.push({ type: 'removeContainer', containerId: c.id });
  }
}

function plan(actions: PodAction[], backOffs: Map<string, BackOffWait>): PodPlan {
  let wakeAt: number | undefined;
  for (const b of backOffs.values()) wakeAt = wakeAt === undefined ? b.until : Math.min(wakeAt, b.until);
  return { actions, backOffs, wakeAt };
}
