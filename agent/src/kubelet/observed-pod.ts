/**
 * What the runtime holds for one pod, as the pure kubelet logic sees it: its sandbox and every run
 * (attempt) of every container, read back from the runtime's labels. Nothing here is remembered by
 * the kubelet itself, so a restarted kubelet reaches the same decisions.
 */
import type { ContainerStatus as RuntimeContainer } from '../runtime/runtime.ts';

export type { RuntimeContainer };

export interface ObservedSandbox {
  readonly id: string;
  readonly ready: boolean;
  readonly ip: string | undefined;
  readonly createdAt: Date | undefined;
}

export interface ObservedPod {
  readonly sandbox: ObservedSandbox | undefined;
  /** Every run of every container of this pod (init and app), any state. */
  readonly containers: readonly RuntimeContainer[];
}

/** The runs of one container, newest (highest attempt) first. */
export function runsOf(observed: ObservedPod, name: string): RuntimeContainer[] {
  return observed.containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt);
}

/** The newest run of a container, if it ever ran in this sandbox. */
export function latestRun(observed: ObservedPod, name: string): RuntimeContainer | undefined {
  return runsOf(observed, name)[0];
}

/** Probe outcomes for running containers, keyed by runtime container id. */
export interface ProbeOutcomes {
  readonly liveness: ReadonlyMap<string, ProbeOutcome>;
  readonly readiness: ReadonlyMap<string, ProbeOutcome>;
  readonly startup: ReadonlyMap<string, ProbeOutcome>;
}

export interface ProbeOutcome {
  readonly result: 'success' | 'failure';
  /** Why the last attempt failed, in words a person can act on. */
  readonly message?: string;
}

export const noProbeOutcomes: ProbeOutcomes = {
  liveness: new Map(),
  readiness: new Map(),
  startup: new Map(),
};
