/**
 * One pod's worker: a serialized sync loop. Each sync reads the pod's runtime state, sets up its
 * volumes, asks computePodActions what to do, does it through the runtime, feeds the probers and
 * writes the status generated from the new state. A sync is triggered by a pod change, a runtime
 * change seen by the relist, a probe result, a back-off ending, or the periodic resync (which is
 * also how ConfigMap and Secret volumes follow their objects). Errors become container problems,
 * events and log lines, never exceptions out of the kubelet.
 */
import type { Container, Pod } from '../api/types/pod.ts';
import { LABEL } from '../runtime/labels.ts';
import { RuntimeError } from '../runtime/podman-cli.ts';
import { launchContainer, type StartAction } from './container-launch.ts';
import type { ObservedPod, ObservedSandbox, RuntimeContainer } from './observed-pod.ts';
import { computePodActions, type PodAction, type PodPlan } from './pod-actions.ts';
import { type ContainerProblem, generatePodStatus } from './pod-status.ts';
import { PodStatusWriter } from './pod-status-writer.ts';
import { killContainer, terminatePod } from './pod-termination.ts';
import { type PodVolumes, setUpVolumes } from './pod-volumes.ts';
import { Prober } from './prober.ts';
import { sandboxConfig, unsupportedFeature } from './runtime-config.ts';
import type { WorkerContext } from './worker-context.ts';

const idle: PodPlan = { actions: [], backOffs: new Map(), wakeAt: undefined };

export class PodWorker {
  readonly uid: string;
  #pod: Pod;
  /** The pod object is gone from the API (deleted with grace 0, or the watch said DELETED). */
  #removed = false;
  readonly #ctx: WorkerContext;
  readonly #prober: Prober;
  #sandbox: ObservedSandbox | undefined;
  /** False when the sandbox must be looked up in the runtime (after a failure). */
  #sandboxKnown: boolean;
  #containers: readonly RuntimeContainer[] | undefined;
  #volumes: PodVolumes | undefined;
  /** Why the pod as a whole cannot run (an unsupported feature, volumes never set up). */
  #podProblem: ContainerProblem | undefined;
  readonly #problems = new Map<string, ContainerProblem>();
  readonly #status: PodStatusWriter;
  #running: Promise<void> | undefined;
  /** The address of a sandbox just created, being read. */
  #sandboxInspect: Promise<void> | undefined;
  /** When our last runtime action ended (performance.now()). */
  #lastActionAt = 0;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  readonly #finished: Promise<void>;
  #finish: () => void = () => {};

  constructor(
    pod: Pod,
    ctx: WorkerContext,
    adopted?: { sandbox?: ObservedSandbox; containers: RuntimeContainer[] },
  ) {
    this.uid = pod.metadata.uid ?? '';
    this.#pod = pod;
    this.#ctx = ctx;
    this.#prober = new Prober(ctx.runtime, () => this.poke());
    this.#sandbox = adopted?.sandbox;
    this.#sandboxKnown = adopted !== undefined;
    this.#containers = adopted?.containers;
    this.#status = new PodStatusWriter(ctx, pod.status);
    this.#finished = new Promise((r) => {
      this.#finish = r;
    });
  }

  get pod(): Pod {
    return this.#pod;
  }
  get done(): boolean {
    return this.#done;
  }
  /** Settles once the pod is gone from the node (containers, sandbox, volumes, API object). */
  get finished(): Promise<void> {
    return this.#finished;
  }

  update(pod: Pod): void {
    this.#pod = pod;
    this.poke();
  }

  markRemoved(): void {
    this.#removed = true;
    this.poke();
  }

  /**
   * The relist saw this pod's containers change. A listing that began before our last action
   * ended may not show what that action did, so it is refused (false) and the relist offers the
   * next listing again.
   */
  observe(containers: readonly RuntimeContainer[], listedAt: number): boolean {
    if (listedAt < this.#lastActionAt || this.#running) return false;
    this.#containers = containers;
    this.poke();
    return true;
  }

  /** Stops timers and probers without touching containers (the kubelet is stopping, pods keep running). */
  detach(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#prober.stop();
  }

  /** Asks for a sync; syncs never overlap, and a request during one runs another after it. */
  poke(): void {
    if (this.#done) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#loop();
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#sync();
      } catch (err) {
        this.#ctx.log(`pod ${this.#name()}: sync failed, will retry: ${(err as Error).message}`);
        this.#schedule(Date.now() + Math.min(this.#ctx.resyncMs, 2000));
      }
    } while (this.#again && !this.#done);
    this.#running = undefined;
  }

  #name(): string {
    return `${this.#pod.metadata.namespace}/${this.#pod.metadata.name}`;
  }

  #schedule(at: number | undefined): void {
    if (this.#done) return;
    clearTimeout(this.#timer);
    const next = Math.min(at ?? Number.POSITIVE_INFINITY, Date.now() + this.#ctx.resyncMs);
    this.#timer = setTimeout(() => this.poke(), Math.max(0, next - Date.now()));
  }

  /** The pod's runtime state: what we know, completed from the runtime where we know nothing. */
  async #observe(): Promise<ObservedPod> {
    const { runtime } = this.#ctx;
    if (this.#containers === undefined) {
      this.#containers = await runtime.listContainers({ [LABEL.podUid]: this.uid });
    }
    if (!this.#sandboxKnown) {
      this.#sandboxKnown = true;
      const [found] = await runtime.listPodSandboxes({ [LABEL.podUid]: this.uid });
      if (found)
        this.#sandbox = {
          id: found.id,
          ready: found.state === 'ready',
          ip: found.ip,
          createdAt: found.createdAt,
        };
    }
    const sandboxId = this.#sandbox?.id;
    // Runs left from an earlier sandbox of this pod are not part of the current one.
    const containers = this.#containers.filter((c) => sandboxId !== undefined && c.sandboxId === sandboxId);
    return { sandbox: this.#sandbox, containers };
  }

  async #sync(): Promise<void> {
    if (this.#done) return;
    const pod = this.#pod;
    if (this.#removed || pod.metadata.deletionTimestamp) return this.#terminate();

    let observed = await this.#observe();
    const problem = unsupportedFeature(pod) ?? (await this.#setUpVolumes(pod));
    if (problem && this.#podProblem?.message !== problem.message)
      this.#ctx.record(
        pod,
        'Warning',
        problem.reason === 'ContainerCreating' ? 'FailedMount' : 'Failed',
        problem.message,
      );
    this.#podProblem = problem;

    // Nothing can start while the pod itself cannot be set up: not even its sandbox.
    let plan = this.#podProblem ? idle : this.#plan(pod, observed);
    let failed = false;
    // Act, then plan again on what the actions changed, until nothing is left to do now: a new
    // sandbox gets its containers in the same sync. Three rounds cover sandbox, init, app.
    for (let round = 0; round < 3 && plan.actions.length > 0 && !failed; round++) {
      const touched: string[] = [];
      for (const action of plan.actions) {
        if (this.#done) return;
        const out = await this.#apply(pod, action);
        this.#lastActionAt = performance.now();
        if (out === false) failed = true;
        else if (typeof out === 'string') touched.push(out);
      }
      observed = await this.#refresh(touched);
      plan = this.#plan(pod, observed);
    }
    await this.#sandboxInspect;
    this.#sandboxInspect = undefined;
    if (observed.sandbox !== this.#sandbox) observed = { ...observed, sandbox: this.#sandbox };
    const running = pod.spec.containers
      .map((c) => ({
        container: c,
        run: observed.containers.find((r) => r.name === c.name && r.state === 'running'),
      }))
      .filter((x): x is { container: Container; run: RuntimeContainer } => x.run !== undefined)
      .sort((a, b) => b.run.attempt - a.run.attempt);
    this.#prober.sync(
      running.map((r) => ({ container: r.container, id: r.run.id })),
      observed.sandbox?.ip,
    );
    this.#noteBackOffs(pod, plan);
    await this.#writeStatus(pod, observed, plan);
    // Still more to do (a long init chain) unless a start failed: then wait for the resync.
    if (plan.actions.length > 0 && !failed) this.#again = true;
    else this.#schedule(plan.wakeAt);
  }

  /**
   * Volumes set up (or refreshed). A failure before the first setup blocks the pod; after it, the
   * pod keeps the volumes it has (Kubernetes keeps the last projection of a deleted ConfigMap too).
   */
  async #setUpVolumes(pod: Pod): Promise<ContainerProblem | undefined> {
    const volumes = await setUpVolumes(pod, this.#ctx.volumes, this.#volumes);
    if (!('reason' in volumes)) {
      this.#volumes = volumes;
      return undefined;
    }
    if (this.#volumes === undefined) return volumes;
    this.#ctx.log(`pod ${this.#name()}: keeping its volumes as they are: ${volumes.message}`);
    return undefined;
  }

  #plan(pod: Pod, observed: ObservedPod): PodPlan {
    return computePodActions({
      pod,
      observed,
      probes: this.#prober.outcomes(),
      backOff: this.#ctx.backOff,
      now: Date.now(),
    });
  }

  /**
   * The runtime state after our own actions, without listing the whole pod again: inspect just
   * the containers we touched (one CLI call each, in parallel) and merge them in.
   */
  async #refresh(touched: readonly string[]): Promise<ObservedPod> {
    const { runtime } = this.#ctx;
    const inspected = await Promise.all(
      touched.map((id) =>
        runtime.inspectContainer(id).catch((err: unknown) => {
          // A removed container is simply gone; any other failure fails this sync (retried).
          if (err instanceof RuntimeError && err.kind === 'NotFound') return undefined;
          throw err;
        }),
      ),
    );
    const byId = new Map((this.#containers ?? []).map((c) => [c.id, c]));
    for (const id of touched) byId.delete(id);
    for (const c of inspected) if (c) byId.set(c.id, c);
    this.#containers = [...byId.values()];
    return this.#observe();
  }

  #noteBackOffs(pod: Pod, plan: PodPlan): void {
    for (const [name, b] of plan.backOffs) {
      const key = `backoff:${name}:${b.until}`;
      if (this.#problems.has(key)) continue;
      this.#problems.set(key, { reason: 'BackOff', message: '' });
      this.#ctx.record(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${name} in pod ${pod.metadata.name}`,
      );
    }
  }

  async #writeStatus(pod: Pod, observed: ObservedPod, plan: PodPlan): Promise<void> {
    const problems = new Map([...this.#problems].filter(([k]) => !k.startsWith('backoff:')));
    const status = generatePodStatus({
      pod,
      observed,
      probes: this.#prober.outcomes(),
      backOffs: plan.backOffs,
      problems,
      podProblem: this.#podProblem,
      hostIP: this.#ctx.hostIP,
      now: new Date(),
    });
    const written = await this.#status.write(pod, status);
    // Our own write comes back through the watch; keep the newer object so later writes carry it.
    if (written && !this.#pod.metadata.deletionTimestamp) this.#pod = written;
  }

  /**
   * Carries out one action: false when it failed (the reason is kept for the status), else the id
   * of the container whose state it changed (removed ones come back NotFound and drop out), or true.
   */
  async #apply(pod: Pod, action: PodAction): Promise<boolean | string> {
    const { runtime } = this.#ctx;
    try {
      switch (action.type) {
        case 'createSandbox': {
          const id = await runtime.createPodSandbox(sandboxConfig(pod, this.#ctx.hostIP));
          // createPodSandbox returns with the sandbox running. Its address is read while the
          // containers are being created; whatever needs it (env status.podIP, the status) waits.
          this.#sandbox = { id, ready: true, ip: undefined, createdAt: new Date() };
          this.#sandboxInspect = runtime.inspectPodSandbox(id).then(
            (s) => {
              if (this.#sandbox?.id === id)
                this.#sandbox = { id, ready: s.state === 'ready', ip: s.ip, createdAt: s.createdAt };
            },
            (err: Error) =>
              this.#ctx.log(`pod ${this.#name()}: cannot inspect its new sandbox: ${err.message}`),
          );
          // A new sandbox holds no containers; nothing to list.
          this.#containers = [];
          return true;
        }
        case 'removeSandbox':
          this.#ctx.record(
            pod,
            'Normal',
            'SandboxChanged',
            `${action.reason}; it will be killed and re-created`,
          );
          this.#sandbox = undefined;
          this.#containers = [];
          await runtime.removePodSandbox(action.sandboxId);
          return true;
        case 'stopSandbox':
          await runtime.stopPodSandbox(action.sandboxId, 0);
          this.#sandbox = this.#sandbox && { ...this.#sandbox, ready: false };
          return true;
        case 'removeContainer':
          await runtime.removeContainer(action.containerId);
          return action.containerId;
        case 'killContainer':
          await this.#kill(pod, action.container, action.containerId, action.message);
          return action.containerId;
        case 'startContainer':
          return await this.#start(pod, action);
      }
    } catch (err) {
      this.#ctx.log(`pod ${this.#name()}: ${action.type} failed: ${(err as Error).message}`);
      if (action.type === 'startContainer')
        this.#problems.set(action.container, {
          reason: 'RunContainerError',
          message: (err as Error).message,
        });
      // A sandbox that vanished under us is looked up again on the next sync.
      this.#sandbox = undefined;
      this.#sandboxKnown = false;
      this.#containers = undefined;
      return false;
    }
  }

  /** Starts one run (container-launch.ts) on the worker's sandbox, volumes and view of the runs. */
  async #start(pod: Pod, action: StartAction): Promise<boolean | string> {
    const sandbox = this.#sandbox;
    const volumes = this.#volumes;
    if (!sandbox || this.#podProblem || !volumes) return false;
    return launchContainer(
      this.#ctx,
      {
        pod,
        sandbox,
        volumes,
        problems: this.#problems,
        podIP: () => this.#sandbox?.ip,
        sandboxAddressKnown: async () => {
          await this.#sandboxInspect;
        },
        updateRuns: (change) => {
          this.#containers = change(this.#containers ?? []);
        },
      },
      action,
    );
  }

  /** Stops one container with its preStop hook (pod-termination.ts). */
  #kill(pod: Pod, name: string, containerId: string, why: string): Promise<void> {
    return killContainer(this.#ctx, pod, this.#sandbox?.ip, name, containerId, why);
  }

  /** Ends the pod on the node and then in the API (pod-termination.ts); retried until the API takes it. */
  async #terminate(): Promise<void> {
    this.#prober.stop();
    const pod = this.#pod;
    const podIP = this.#sandbox?.ip;
    const outcome = await terminatePod(this.#ctx, {
      pod,
      uid: this.uid,
      podIP,
      isRemoved: () => this.#removed,
    });
    if (outcome === 'retry') {
      this.#schedule(Date.now() + 1000);
      return;
    }
    this.#done = true;
    clearTimeout(this.#timer);
    this.#finish();
  }
}
