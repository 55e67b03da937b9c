/**
 * The scheduler loop: cluster events in, placements out, through injected effects only.
 *
 *   source.subscribe ──> handle(event) ──> cache (nodes, bound pods, volumes)   ──┐
 *                                     └──> queue (pending pods) + cluster events  │ wake
 *   run: pop ──> schedulePod(cache snapshot) ──> assume ──> effects.bind (async) ─┘
 *                     └──> unschedulable ──> preempt (preemption.ts): nominate the node, evict the
 *                          victims (Preempted events); FailedScheduling event, back to the queue,
 *                          woken when the victims are gone
 *
 * The leader starts `run(signal)` and aborts the signal when it loses leadership: the loop stops at
 * once (no new cycle starts, the idle wait ends, bindings in flight get the same signal).
 */
import type { Pod } from '../api/types/pod.ts';
import { SchedulerCache } from './cache.ts';
import { type ClusterEvent, type ClusterSource, isAssigned, isTerminal } from './cluster-events.ts';
import { fitErrorMessage } from './fit-error.ts';
import { defaultProfile, type Profile } from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import { NominatedPods } from './nominated-pods.ts';
import { compilePod, type PodInfo, podKey } from './pod-info.ts';
import { preempt } from './preemption.ts';
import { type AlgorithmState, type ScheduleResult, schedulePod } from './schedule-one.ts';
import { type QueuedPod, type QueueOptions, SchedulingQueue } from './scheduling-queue.ts';
import { seededRandom } from './seeded-random.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** An Event the scheduler wants recorded against a pod (the lead turns it into a core/v1 Event). */
export interface SchedulerEvent {
  readonly pod: Pod;
  readonly type: 'Normal' | 'Warning';
  /** Preempted is recorded against the victim. */
  readonly reason: 'Scheduled' | 'FailedScheduling' | 'Preempted';
  readonly message: string;
}

/** Why a binding did not commit; undefined means it did. */
export type BindOutcome = undefined | { readonly kind: string; readonly message: string };

export interface SchedulerEffects {
  /** Sets spec.nodeName through the store (a Binding); must not throw, returns the failure instead. */
  bind(pod: Pod, nodeName: string, signal: AbortSignal): Promise<BindOutcome>;
  recordEvent(event: SchedulerEvent): void;
  /** Optional: record PodScheduled=False, reason Unschedulable, on the pod's status. */
  markUnschedulable?(pod: Pod, message: string, signal: AbortSignal): void;
  /**
   * Deletes a preemption victim with its own grace period; must not throw. Without it the
   * scheduler never preempts.
   */
  evict?(victim: Pod, signal: AbortSignal): Promise<BindOutcome>;
  /** Sets (or, with undefined, clears) status.nominatedNodeName; failures are the effect's to log. */
  nominate?(pod: Pod, nodeName: string | undefined, signal: AbortSignal): void;
}

export interface SchedulerClock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: SchedulerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface SchedulerOptions {
  readonly source: ClusterSource;
  readonly effects: SchedulerEffects;
  readonly clock?: SchedulerClock;
  /** Seeds the tie-break between equally scored nodes. */
  readonly seed?: number;
  readonly profile?: Profile;
  /** Pods naming another spec.schedulerName are left to that scheduler. */
  readonly schedulerName?: string;
  readonly queue?: Omit<QueueOptions, 'now'>;
  /** How long a busy loop runs before letting watch events and bind results in (ms). */
  readonly timeSliceMs?: number;
}

export interface SchedulerStats {
  scheduled: number;
  unschedulable: number;
  bindFailures: number;
  /** Cycles that chose victims, and the victims evicted. */
  preemptions: number;
  victims: number;
}

const IDLE_WAIT_MS = 60 * 60_000;
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The fields of a Node that change what fits where (heartbeats alone do not). */
function nodeShape(info: NodeInfo | undefined): string {
  const n = info?.node;
  if (n === undefined) return '';
  return JSON.stringify([
    n.metadata.labels,
    n.spec?.taints,
    n.spec?.unschedulable,
    n.status?.allocatable,
    info?.ready,
  ]);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly stats: SchedulerStats = {
    scheduled: 0,
    unschedulable: 0,
    bindFailures: 0,
    preemptions: 0,
    victims: 0,
  };
  /** Preemptors waiting for the room they freed. */
  readonly nominated = new NominatedPods();
  private readonly source: ClusterSource;
  private readonly effects: SchedulerEffects;
  private readonly clock: SchedulerClock;
  private readonly profile: Profile;
  private readonly schedulerName: string;
  private readonly timeSliceMs: number;
  private readonly algo: AlgorithmState;
  private signal: AbortSignal = new AbortController().signal;
  private wake: AbortController | undefined;

  constructor(opts: SchedulerOptions) {
    this.source = opts.source;
    this.effects = opts.effects;
    this.clock = opts.clock ?? realClock;
    this.profile = opts.profile ?? defaultProfile();
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.timeSliceMs = opts.timeSliceMs ?? 10;
    this.algo = { nextStartNodeIndex: 0, random: seededRandom(opts.seed ?? 1) };
    const clock = this.clock;
    this.queue = new SchedulingQueue({ ...opts.queue, now: () => clock.now() });
  }

  /** Runs until `signal` aborts; resolves promptly after it does. */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    if (signal.aborted) return;
    this.source.subscribe((e) => this.handle(e), signal);
    while (!signal.aborted) {
      const sliceStart = this.clock.now();
      let worked = false;
      while (!signal.aborted && this.scheduleNext()) {
        worked = true;
        if (this.clock.now() - sliceStart >= this.timeSliceMs) break;
      }
      if (signal.aborted) return;
      if (worked) {
        await yieldToEvents();
        continue;
      }
      const wakeAt = this.queue.nextWakeAt();
      const wake = new AbortController();
      this.wake = wake;
      const ms = wakeAt === undefined ? IDLE_WAIT_MS : Math.max(0, wakeAt - this.clock.now());
      await this.clock.sleep(ms, AbortSignal.any([signal, wake.signal]));
      this.wake = undefined;
    }
  }

  private isResponsibleFor(pod: Pod): boolean {
    return (
      (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName &&
      pod.metadata.deletionTimestamp === undefined &&
      !isTerminal(pod)
    );
  }

  /** Applies one cluster event to the cache and the queue. */
  handle(e: ClusterEvent): void {
    if (this.signal.aborted) return;
    switch (e.kind) {
      case 'Pod': {
        const pod = e.object;
        const key = podKey(pod);
        const cached = this.cache.podInfo(key);
        const wasCached = cached !== undefined;
        const wasAssumed = this.cache.isAssumed(key);
        if (e.type === 'DELETED' || isTerminal(pod)) {
          this.queue.delete(key);
          this.nominated.remove(key);
          this.cache.apply(e.type === 'DELETED' ? e : { kind: 'Pod', type: 'DELETED', object: pod });
          if (wasCached) this.queue.onClusterEvent('AssignedPodDeleted');
        } else if (isAssigned(pod)) {
          this.queue.delete(key);
          this.nominated.remove(key);
          this.cache.apply(e);
          // A new pod on a node, or new labels, can satisfy affinity; a kubelet status update cannot.
          if (!wasCached || (!wasAssumed && !sameLabels(cached.labels, pod.metadata.labels ?? {})))
            this.queue.onClusterEvent('AssignedPodAdded');
        } else if (!wasAssumed) {
          if (this.isResponsibleFor(pod)) {
            this.queue.add(pod);
            // A nomination made by an earlier leader (or before a restart) still reserves its room.
            const nominatedNode = pod.status?.nominatedNodeName;
            if (nominatedNode && this.nominated.nodeOf(key) === undefined)
              this.nominated.add(compilePod(pod), nominatedNode);
          } else {
            this.queue.delete(key);
            this.nominated.remove(key);
          }
        }
        break;
      }
      case 'Node': {
        const name = e.object.metadata.name ?? '';
        const before = nodeShape(this.cache.nodeInfo(name));
        this.cache.apply(e);
        if (e.type === 'ADDED' && before === '') this.queue.onClusterEvent('NodeAdded');
        else if (e.type !== 'DELETED' && nodeShape(this.cache.nodeInfo(name)) !== before)
          this.queue.onClusterEvent('NodeChanged');
        break;
      }
      case 'PersistentVolumeClaim':
      case 'PersistentVolume':
        this.cache.apply(e);
        if (e.type !== 'DELETED') this.queue.onClusterEvent('VolumeChanged');
        break;
      case 'Namespace':
        this.cache.apply(e);
        this.queue.onClusterEvent('NamespaceChanged');
        break;
      case 'NodeUtilisation':
        this.cache.apply(e);
        break;
    }
    this.wake?.abort();
  }

  /** One scheduling cycle for the next ready pod; false when none is ready. Synchronous up to the bind. */
  scheduleNext(): boolean {
    if (this.signal.aborted) return false;
    const q = this.queue.pop();
    if (q === undefined) return false;
    const result = schedulePod(this.cache, q.info, this.profile, this.algo, this.nominated);
    if (result.kind === 'Scheduled') this.assumeAndBind(q, result.nodeName);
    else this.reportUnschedulable(q, result);
    return true;
  }

  private assumeAndBind(q: QueuedPod, nodeName: string): void {
    const err = this.cache.assumePod(q.info, nodeName);
    if (err !== undefined) {
      this.queue.requeue(q, 'error');
      this.effects.recordEvent({
        pod: q.info.pod,
        type: 'Warning',
        reason: 'FailedScheduling',
        message: err.message,
      });
      return;
    }
    this.nominated.remove(q.info.key);
    void this.bind(q, nodeName);
  }

  private async bind(q: QueuedPod, nodeName: string): Promise<void> {
    const { pod, key, namespace, name } = q.info;
    const signal = this.signal;
    let outcome: BindOutcome;
    try {
      outcome = await this.effects.bind(pod, nodeName, signal);
    } catch (err) {
      // bind should return failures as values; a throw is still a failed binding, not a lost pod.
      outcome = { kind: 'InternalError', message: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted) return;
    if (outcome === undefined) {
      this.stats.scheduled++;
      this.queue.done(key);
      this.effects.recordEvent({
        pod,
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${namespace}/${name} to ${nodeName}`,
      });
      return;
    }
    this.stats.bindFailures++;
    if (this.cache.isAssumed(key)) this.cache.forgetPod(key);
    this.queue.requeue(q, 'error');
    this.effects.recordEvent({
      pod,
      type: 'Warning',
      reason: 'FailedScheduling',
      message: `Binding rejected: ${outcome.message}`,
    });
    this.wake?.abort();
  }

  private reportUnschedulable(
    q: QueuedPod,
    result: Extract<ScheduleResult, { kind: 'Unschedulable' }>,
  ): void {
    this.stats.unschedulable++;
    const postFilter = this.tryPreemption(q.info, result);
    const message = postFilter === undefined ? result.message : fitErrorMessage(result.diagnosis, postFilter);
    this.effects.recordEvent({ pod: q.info.pod, type: 'Warning', reason: 'FailedScheduling', message });
    this.effects.markUnschedulable?.(q.info.pod, message, this.signal);
    // The victims' deletions (AssignedPodDeleted) bring the pod back to try its nominated node.
    this.queue.requeue(q, { unschedulablePlugins: result.unschedulablePlugins });
  }

  /** PostFilter: the `preemption: …` text for the event when no victims were chosen. */
  private tryPreemption(
    pod: PodInfo,
    result: Extract<ScheduleResult, { kind: 'Unschedulable' }>,
  ): string | undefined {
    const evict = this.effects.evict;
    if (evict === undefined || result.failures.length === 0) return undefined;
    const decision = preempt({
      snapshot: this.cache,
      pod,
      failures: result.failures,
      profile: this.profile,
      nominated: this.nominated,
    });
    if (decision.kind !== 'Preempt') return decision.message;
    this.stats.preemptions++;
    this.stats.victims += decision.victims.length;
    const signal = this.signal;
    for (const displaced of decision.displacedNominations) {
      this.nominated.remove(displaced.key);
      this.effects.nominate?.(displaced.pod, undefined, signal);
    }
    this.nominated.add(pod, decision.nodeName);
    this.effects.nominate?.(pod.pod, decision.nodeName, signal);
    for (const victim of decision.victims) {
      this.effects.recordEvent({
        pod: victim.pod,
        type: 'Normal',
        reason: 'Preempted',
        message: `Preempted by pod ${pod.pod.metadata.uid ?? pod.key} on node ${decision.nodeName}`,
      });
      void evict(victim.pod, signal).then(
        (outcome) => {
          // A victim already gone is what we wanted; anything else is retried by the next cycle.
          if (outcome !== undefined && outcome.kind !== 'NotFound')
            this.effects.recordEvent({
              pod: pod.pod,
              type: 'Warning',
              reason: 'FailedScheduling',
              message: `Preemption of ${victim.namespace}/${victim.name} failed: ${outcome.message}`,
            });
        },
        (err: unknown) =>
          this.effects.recordEvent({
            pod: pod.pod,
            type: 'Warning',
            reason: 'FailedScheduling',
            message: `Preemption of ${victim.namespace}/${victim.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          }),
      );
    }
    return undefined;
  }
}
