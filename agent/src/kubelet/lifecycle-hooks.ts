/**
 * Container lifecycle hooks, as Kubernetes runs them:
 *
 *   startContainer ─▶ Started event ─▶ postStart (exec or httpGet) ──ok──▶ running
 *                                                  └─fails─▶ FailedPostStartHook event ─▶ kill (preStop
 *                                                            included), the restart policy decides the rest
 *   kill (liveness failure, pod deletion) ─▶ preStop within the grace period ─▶ SIGTERM with what
 *                                            is left of it (at least 2 s) ─▶ SIGKILL
 *
 * A hook is one attempt. Its outcome is a value: `undefined` when it succeeded, else the message
 * for the event. Nothing here throws.
 */
import type { Container, LifecycleHandler, Pod } from '../api/types/pod.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { resolvePort } from './probe-check.ts';

export type HookKind = 'PostStart' | 'PreStop';

export interface HookTarget {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  /** The pod's address: an httpGet hook goes there unless it names a host. */
  readonly podIP: string | undefined;
  readonly runtime: ContainerRuntime;
}

/** Kubernetes' minimumGracePeriodInSeconds: what SIGTERM still gets after a preStop hook. */
export const MIN_GRACE_AFTER_PRESTOP_SECONDS = 2;

/** Runs one hook, bounded by `timeoutSeconds`; the failure message, or undefined on success. */
export async function runLifecycleHook(
  kind: HookKind,
  handler: LifecycleHandler,
  target: HookTarget,
  timeoutSeconds: number,
): Promise<string | undefined> {
  const timeoutMs = Math.max(1, timeoutSeconds) * 1000;
  const where = `for Container "${target.container.name}" in Pod "${target.pod.metadata.name}"`;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const what = `Exec lifecycle hook (${JSON.stringify(command)}) ${where}`;
    if (command.length === 0) return `${what} failed - error: the command is empty; give exec.command`;
    try {
      const out = await target.runtime.exec(target.containerId, command, { timeoutMs });
      if (out.timedOut) return `${what} failed - error: timed out after ${timeoutMs / 1000}s`;
      if (out.exitCode === 0) return undefined;
      const said = `${out.stdout}${out.stderr}`.trim().slice(0, 200);
      return `${what} failed - error: command exited with ${out.exitCode}, message: ${JSON.stringify(said)}`;
    } catch (err) {
      return `${what} failed - error: ${(err as Error).message}`;
    }
  }
  if (handler.httpGet) {
    const h = handler.httpGet;
    const path = h.path ?? '/';
    const what = `HTTP lifecycle hook (${path}) ${where}`;
    const port = resolvePort(h.port, target.container);
    if (typeof port === 'string') return `${what} failed - error: ${port}`;
    const host = h.host || target.podIP;
    if (!host) return `${what} failed - error: the pod has no IP yet`;
    const url = `${(h.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      const res = await fetch(url, {
        headers: Object.fromEntries((h.httpHeaders ?? []).map((x) => [x.name, x.value])),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 400) return undefined;
      return `${what} failed - error: HTTP status ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return `${what} failed - error: timed out after ${timeoutMs / 1000}s`;
      return `${what} failed - error: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
  }
  // Kubernetes keeps tcpSocket in the type for compatibility but never runs it as a hook.
  const given = handler.tcpSocket ? 'tcpSocket is not supported as a lifecycle hook' : 'it has no handler';
  return `${kind} hook ${where} cannot run: ${given}; give it exec or httpGet`;
}

/** When a hook cannot finish in the grace period, the rest of the stop still gets this much. */
export function graceAfterPreStop(graceSeconds: number, hookMs: number): number {
  return Math.max(MIN_GRACE_AFTER_PRESTOP_SECONDS, graceSeconds - Math.ceil(hookMs / 1000));
}

/**
 * Runs the preStop hooks of these running containers in parallel, each within the grace period
 * (Kubernetes runs them per container, concurrently), and returns the grace left for SIGTERM. With
 * no grace (a forced delete) no hook runs. Failures are reported through `failed` and do not stop
 * the kill.
 */
export async function runPreStopHooks(
  targets: readonly HookTarget[],
  graceSeconds: number,
  failed: (target: HookTarget, message: string) => void,
): Promise<number> {
  const hooked = targets.filter((t) => t.container.lifecycle?.preStop !== undefined);
  if (graceSeconds <= 0 || hooked.length === 0) return graceSeconds;
  const t0 = performance.now();
  await Promise.all(
    hooked.map(async (t) => {
      const handler = t.container.lifecycle?.preStop as LifecycleHandler;
      const message = await runLifecycleHook('PreStop', handler, t, graceSeconds);
      if (message !== undefined) failed(t, message);
    }),
  );
  return graceAfterPreStop(graceSeconds, performance.now() - t0);
}
