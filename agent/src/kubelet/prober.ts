/**
 * Probe workers: for every running container with probes, one timer per probe kind that checks
 * after initialDelaySeconds and then every periodSeconds, turning attempts into a result with the
 * success and failure thresholds. Liveness and readiness wait until the startup probe passed.
 * When a result changes, `onChange` tells the pod worker (which then kills, restarts or flips
 * Ready). Results live only as long as the container run: a new run starts from scratch.
 */
import type { Container, Probe } from '../api/types/pod.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { ProbeOutcome, ProbeOutcomes } from './observed-pod.ts';
import { checkProbe } from './probe-check.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeState {
  readonly outcome: ProbeOutcome | undefined;
  readonly successes: number;
  readonly failures: number;
}

/** Folds one attempt into the state; the result flips only once a threshold is reached. */
export function foldProbeAttempt(state: ProbeState, attempt: ProbeOutcome, probe: Probe): ProbeState {
  if (attempt.result === 'success') {
    const successes = state.successes + 1;
    const flips = successes >= (probe.successThreshold ?? 1);
    return { successes, failures: 0, outcome: flips ? attempt : state.outcome };
  }
  const failures = state.failures + 1;
  const flips = failures >= (probe.failureThreshold ?? 3);
  return { successes: 0, failures, outcome: flips ? attempt : state.outcome };
}

interface Worker {
  timer: NodeJS.Timeout | undefined;
  state: ProbeState;
  stopped: boolean;
}

export class Prober {
  readonly #runtime: ContainerRuntime;
  readonly #onChange: () => void;
  /** container id -> kind -> worker */
  readonly #workers = new Map<string, Map<ProbeKind, Worker>>();

  constructor(runtime: ContainerRuntime, onChange: () => void) {
    this.#runtime = runtime;
    this.#onChange = onChange;
  }

  /** Keeps workers for exactly these running containers. */
  sync(running: readonly { container: Container; id: string }[], podIP: string | undefined): void {
    const live = new Set(running.map((r) => r.id));
    for (const id of [...this.#workers.keys()]) if (!live.has(id)) this.#stopContainer(id);
    for (const { container, id } of running) {
      if (this.#workers.has(id)) continue;
      const kinds = new Map<ProbeKind, Worker>();
      this.#workers.set(id, kinds);
      const probes: [ProbeKind, Probe | undefined][] = [
        ['startup', container.startupProbe],
        ['liveness', container.livenessProbe],
        ['readiness', container.readinessProbe],
      ];
      for (const [kind, probe] of probes) {
        if (!probe) continue;
        const worker: Worker = {
          timer: undefined,
          state: { outcome: undefined, successes: 0, failures: 0 },
          stopped: false,
        };
        kinds.set(kind, worker);
        const run = async () => {
          if (worker.stopped) return;
          const startup = kinds.get('startup');
          const gated =
            kind !== 'startup' && startup !== undefined && startup.state.outcome?.result !== 'success';
          if (!gated) {
            const attempt = await checkProbe(probe, {
              container,
              containerId: id,
              podIP,
              runtime: this.#runtime,
            });
            if (worker.stopped) return;
            const before = worker.state.outcome;
            worker.state = foldProbeAttempt(worker.state, attempt, probe);
            const after = worker.state.outcome;
            if (
              before?.result !== after?.result ||
              (after?.result === 'failure' && before?.message !== after.message)
            )
              this.#onChange();
            // A container that failed liveness or startup is about to be killed; stop probing it.
            if (after?.result === 'failure' && kind !== 'readiness') return;
          }
          worker.timer = setTimeout(run, Math.max(1, probe.periodSeconds ?? 10) * 1000);
        };
        worker.timer = setTimeout(run, Math.max(0, probe.initialDelaySeconds ?? 0) * 1000);
      }
    }
  }

  outcomes(): ProbeOutcomes {
    const out = { liveness: new Map(), readiness: new Map(), startup: new Map() } as {
      liveness: Map<string, ProbeOutcome>;
      readiness: Map<string, ProbeOutcome>;
      startup: Map<string, ProbeOutcome>;
    };
    for (const [id, kinds] of this.#workers) {
      for (const [kind, w] of kinds) if (w.state.outcome) out[kind].set(id, w.state.outcome);
    }
    return out;
  }

  stop(): void {
    for (const id of [...this.#workers.keys()]) this.#stopContainer(id);
  }

  #stopContainer(id: string): void {
    for (const w of this.#workers.get(id)?.values() ?? []) {
      w.stopped = true;
      clearTimeout(w.timer);
    }
    this.#workers.delete(id);
  }
}
