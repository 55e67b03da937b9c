/**
 * Pending pods waiting for a node: pure state over an injected clock (kube-scheduler's
 * PriorityQueue). Three places a pod can wait:
 *
 *   add ──> active (priority desc, then arrival) ──pop──> in flight ──done──> gone (assumed)
 *              ▲                                              │
 *              │ back-off expired                              │ unschedulable / bind error
 *            backoff (by expiry) <── cluster event that ────── unschedulable (waits for a change)
 *                                    could help, or 5 min      (straight to backoff if a relevant
 *                                                               event came during its cycle)
 *
 * Back-off doubles per failed attempt: 1 s, 2 s, 4 s, 8 s, then 10 s (kube-scheduler's defaults).
 */
import type { Pod } from '../api/types/pod.ts';
import type { FilterName } from './framework.ts';
import { KeyedHeap } from './keyed-heap.ts';
import { compilePod, type PodInfo, podKey } from './pod-info.ts';

export type UnschedulablePlugin = FilterName | 'PreFilter';

export interface QueuedPod {
  info: PodInfo;
  /** When the pod first entered the queue: equal priorities go first come, first served. */
  readonly enqueuedAt: number;
  readonly seq: number;
  /** Scheduling attempts so far (incremented at each pop). */
  attempts: number;
  /** When the last attempt failed; the back-off counts from here. */
  failedAt: number;
  /** The filters that rejected nodes last time: the cluster changes that could make it fit. */
  unschedulablePlugins: ReadonlySet<UnschedulablePlugin>;
  /** The scheduling cycle of its last pop. */
  cycle: number;
}

/** Cluster changes that can make a waiting pod schedulable (kube-scheduler's ClusterEvents). */
export type QueueEvent =
  | 'NodeAdded'
  | 'NodeChanged'
  | 'AssignedPodAdded'
  | 'AssignedPodDeleted'
  | 'VolumeChanged'
  | 'NamespaceChanged';

const ALL = 'all' as const;
const HELPS: Readonly<Record<QueueEvent, ReadonlySet<UnschedulablePlugin> | typeof ALL>> = {
  NodeAdded: ALL,
  NodeChanged: ALL,
  AssignedPodDeleted: new Set<UnschedulablePlugin>([
    'NodeResourcesFit',
    'NodePorts',
    'InterPodAffinity',
    'PodTopologySpread',
  ]),
  AssignedPodAdded: new Set<UnschedulablePlugin>(['InterPodAffinity', 'PodTopologySpread']),
  VolumeChanged: new Set<UnschedulablePlugin>(['VolumeBinding', 'PreFilter']),
  NamespaceChanged: new Set<UnschedulablePlugin>(['InterPodAffinity']),
};

export interface QueueOptions {
  readonly now: () => number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** An unschedulable pod is retried after this long even if no event helped it (5 min). */
  readonly maxUnschedulableMs?: number;
}

const FLUSH_UNSCHEDULABLE_EVERY_MS = 30_000;

const beforeInActive = (a: QueuedPod, b: QueuedPod): boolean =>
  a.info.priority !== b.info.priority
    ? a.info.priority > b.info.priority
    : a.enqueuedAt !== b.enqueuedAt
      ? a.enqueuedAt < b.enqueuedAt
      : a.seq < b.seq;

/** A pod spec or labels changed (status-only updates, such as our own conditions, do not count). */
function podChanged(a: Pod, b: Pod): boolean {
  const ga = a.metadata.generation;
  const gb = b.metadata.generation;
  const specChanged =
    ga !== undefined && gb !== undefined ? ga !== gb : JSON.stringify(a.spec) !== JSON.stringify(b.spec);
  return specChanged || JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {});
}

export class SchedulingQueue {
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly active = new KeyedHeap<QueuedPod>((q) => q.info.key, beforeInActive);
  private readonly backoff: KeyedHeap<QueuedPod>;
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly inFlight = new Map<string, QueuedPod>();
  /** In-flight pods deleted from the cluster: not to be requeued. */
  private readonly deletedInFlight = new Set<string>();
  private nextSeq = 0;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private lastUnschedulableFlush: number;

  constructor(opts: QueueOptions) {
    this.now = opts.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.backoff = new KeyedHeap<QueuedPod>(
      (q) => q.info.key,
      (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
    );
    this.lastUnschedulableFlush = this.now();
  }

  /** The back-off after `attempts` failed attempts: 1 s doubling, capped at 10 s. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  backoffExpiry(q: QueuedPod): number {
    return q.failedAt + this.backoffDuration(q.attempts);
  }

  get sizes(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
      inFlight: this.inFlight.size,
    };
  }

  /** Where a pod waits now (undefined: not in the queue). */
  whereIs(key: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** A pending pod was added or changed in the cluster. */
  add(pod: Pod): void {
    const key = podKey(pod);
    this.deletedInFlight.delete(key);
    const existing =
      this.active.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key) ?? this.inFlight.get(key);
    if (existing === undefined) {
      const now = this.now();
      this.active.push({
        info: compilePod(pod),
        enqueuedAt: now,
        seq: this.nextSeq++,
        attempts: 0,
        failedAt: now,
        unschedulablePlugins: new Set(),
        cycle: -1,
      });
      return;
    }
    const changed = podChanged(existing.info.pod, pod);
    existing.info = compilePod(pod);
    if (this.active.has(key)) this.active.push(existing);
    else if (this.backoff.has(key)) this.backoff.push(existing);
    else if (changed && this.unschedulable.has(key)) {
      // The user changed the pod (a toleration, a smaller request): worth another try.
      this.unschedulable.delete(key);
      this.moveOut(existing);
    }
  }

  /** The pod was deleted or bound by someone else: forget it wherever it waits. */
  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    if (this.inFlight.has(key)) this.deletedInFlight.add(key);
  }

  /** The next pod to schedule, highest priority first; undefined when none is ready. */
  pop(): QueuedPod | undefined {
    this.flush();
    const q = this.active.pop();
    if (q === undefined) return undefined;
    q.attempts++;
    q.cycle = ++this.schedulingCycle;
    this.inFlight.set(q.info.key, q);
    return q;
  }

  /** The pod was placed (assumed): it leaves the queue. */
  done(key: string): void {
    this.inFlight.delete(key);
    this.deletedInFlight.delete(key);
  }

  /**
   * The attempt failed. Unschedulable pods wait for a helpful event, unless one already came during
   * their cycle; errors (a failed binding) only back off.
   */
  requeue(q: QueuedPod, failure: { unschedulablePlugins: ReadonlySet<UnschedulablePlugin> } | 'error'): void {
    const key = q.info.key;
    this.inFlight.delete(key);
    if (this.deletedInFlight.delete(key)) return;
    q.failedAt = this.now();
    if (failure === 'error') {
      this.backoff.push(q);
      return;
    }
    q.unschedulablePlugins = failure.unschedulablePlugins;
    if (this.moveRequestCycle >= q.cycle) this.backoff.push(q);
    else this.unschedulable.set(key, q);
  }

  /** A cluster change: pods it could help leave the unschedulable set. */
  onClusterEvent(event: QueueEvent): void {
    const helps = HELPS[event];
    for (const [key, q] of this.unschedulable) {
      if (helps !== ALL && ![...q.unschedulablePlugins].some((p) => helps.has(p))) continue;
      this.unschedulable.delete(key);
      this.moveOut(q);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  private moveOut(q: QueuedPod): void {
    if (this.backoffExpiry(q) > this.now()) this.backoff.push(q);
    else this.active.push(q);
  }

  /** Moves pods whose back-off has expired, and long-waiting unschedulable pods, to active. */
  flush(): void {
    const now = this.now();
    for (
      let q = this.backoff.peek();
      q !== undefined && this.backoffExpiry(q) <= now;
      q = this.backoff.peek()
    ) {
      this.backoff.pop();
      this.active.push(q);
    }
    if (now - this.lastUnschedulableFlush >= FLUSH_UNSCHEDULABLE_EVERY_MS) {
      this.lastUnschedulableFlush = now;
      for (const [key, q] of this.unschedulable) {
        if (now - q.failedAt < this.maxUnschedulableMs) continue;
        this.unschedulable.delete(key);
        this.moveOut(q);
      }
    }
  }

  /** When the queue next has work without any event: the earliest back-off expiry or flush. */
  nextWakeAt(): number | undefined {
    let at: number | undefined;
    const b = this.backoff.peek();
    if (b !== undefined) at = this.backoffExpiry(b);
    if (this.unschedulable.size > 0) {
      const flushAt = this.lastUnschedulableFlush + FLUSH_UNSCHEDULABLE_EVERY_MS;
      at = at === undefined ? flushAt : Math.min(at, flushAt);
    }
    return at;
  }
}
