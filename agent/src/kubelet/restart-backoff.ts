/**
 * Crash-loop back-off as a pure function of what the runtime remembers (the run's attempt number and
 * its start and finish times), so it survives a kubelet restart. Kubernetes' sequence: the first
 * restart is immediate, then base, 2·base, 4·base ... capped at max; a run that lasted longer than
 * `resetAfterMs` (default 2·max, as the kubelet forgets a back-off entry) restarts at once.
 */
export interface BackOffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
}

export const defaultBackOffPolicy: BackOffPolicy = {
  baseMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

export function backOffPolicy(baseMs: number, maxMs: number): BackOffPolicy {
  return { baseMs, maxMs, resetAfterMs: 2 * maxMs };
}

/** How long to wait after run `attempt` ended before starting the next one. */
export function restartDelayMs(
  policy: BackOffPolicy,
  attempt: number,
  startedAt: Date | undefined,
  finishedAt: Date | undefined,
): number {
  if (attempt <= 0) return 0;
  if (startedAt && finishedAt && finishedAt.getTime() - startedAt.getTime() >= policy.resetAfterMs) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
}
