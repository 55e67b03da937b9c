/**
 * The controller manager: shared informers feed per-controller work queues; workers take a key,
 * ask the controller's pure reconcile for actions, apply them, wait until the informers have seen
 * their own writes, and requeue on error (with back-off) or on request (deadlines). Everything
 * stops at once when the AbortSignal aborts (this agent lost leadership).
 *
 *   informers ──change──> watches[].keys() ──> WorkQueue ──key──> reconcile(key, view, now)
 *        ▲                                                              │ actions
 *        └──────────── watch events ◀── ClusterClient ◀── applyActions ◀┘
 */
import { isStatusError, type StatusError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import type { Action, Reconciliation } from './actions.ts';
import type { ClusterClient, ResourceRef } from './client.ts';
import type { Clock } from './clock.ts';
import { EventRecorder } from './event-recorder.ts';
import { Informer } from './informer.ts';
import { keyOf } from './objects.ts';
import { WorkQueue } from './work-queue.ts';

/** Read access to the informer caches, for building a reconcile's input. */
export interface ControllerView {
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined;
  /** Every cached object of the resource, or those of one namespace. */
  list(ref: ResourceRef, namespace?: string): KubeObject[];
  /** Objects whose ownerReferences name this uid. */
  owned(ref: ResourceRef, ownerUid: string): KubeObject[];
  byIndex(ref: ResourceRef, index: string, value: string): KubeObject[];
}

export interface WatchSpec {
  readonly ref: ResourceRef;
  /** Which primary keys a change of this object concerns. */
  keys(object: KubeObject, old: KubeObject | undefined, view: ControllerView): readonly string[];
}

export interface IndexSpec {
  readonly ref: ResourceRef;
  readonly name: string;
  fn(object: KubeObject): readonly string[];
}

export interface ControllerDefinition {
  readonly name: string;
  /** Changes of these objects enqueue their own key (`namespace/name`). */
  readonly primary?: ResourceRef;
  readonly watches?: readonly WatchSpec[];
  readonly indexes?: readonly IndexSpec[];
  /** Resources read through the view without their changes enqueuing anything. */
  readonly reads?: readonly ResourceRef[];
  /** Outside sources of change (gossip health, metrics ticks): call enqueue until the signal aborts. */
  readonly triggers?: (enqueue: (key: string) => void, signal: AbortSignal) => void;
  readonly workers?: number;
  reconcile(key: string, view: ControllerView, now: number): Reconciliation | Promise<Reconciliation>;
}

export interface ControllerManagerOptions {
  readonly client: ClusterClient;
  readonly clock: Clock;
  /** Errors that were retried: conflicts are normal and not reported. */
  readonly onError?: (controller: string, key: string, error: StatusError | Error) => void;
  readonly queue?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Host name recorded as the events' source. */
  readonly host?: string;
}

interface Running {
  readonly def: ControllerDefinition;
  readonly queue: WorkQueue;
  readonly recorder: EventRecorder;
}

const refKey = (r: ResourceRef): string => `${r.group}/${r.resource}`;

export class ControllerManager {
  private readonly options: ControllerManagerOptions;
  private readonly informers = new Map<string, Informer>();
  private readonly running: Running[] = [];
  private started = false;
  private readonly view: ControllerView;
  /** Reconciles done, per controller (tests and metrics). */
  readonly syncs = new Map<string, number>();

  constructor(options: ControllerManagerOptions) {
    this.options = options;
    this.view = {
      get: (ref, ns, name) => this.informer(ref).get(ns, name),
      list: (ref, ns) =>
        ns === undefined ? this.informer(ref).list() : this.informer(ref).byIndex('namespace', ns),
      owned: (ref, uid) => this.informer(ref).byIndex('owner', uid),
      byIndex: (ref, index, value) => this.informer(ref).byIndex(index, value),
    };
  }

  informer(ref: ResourceRef): Informer {
    let inf = this.informers.get(refKey(ref));
    if (inf === undefined) {
      // A cache nobody started is empty, and an empty cache reads as "nothing exists": refuse.
      if (this.started)
        throw new Error(`no informer for ${refKey(ref)}: declare it in the controller's watches or reads`);
      inf = new Informer(this.options.client, ref, {
        clock: this.options.clock,
        onError: (e, what) => this.options.onError?.('informer', what, e),
      });
      this.informers.set(refKey(ref), inf);
    }
    return inf;
  }

  /** True when no controller has work queued or in hand (timers may still be pending). */
  get idle(): boolean {
    return this.running.every((r) => r.queue.length === 0 && r.queue.busy === 0);
  }

  /** Starts the controllers; resolves when every informer has listed. They run until `signal` aborts. */
  async start(defs: readonly ControllerDefinition[], signal: AbortSignal): Promise<void> {
    for (const def of defs) {
      const queue = new WorkQueue({ clock: this.options.clock, ...this.options.queue });
      const recorder = new EventRecorder(this.options.client, {
        clock: this.options.clock,
        component: def.name,
        ...(this.options.host !== undefined ? { host: this.options.host } : {}),
      });
      const r: Running = { def, queue, recorder };
      this.running.push(r);
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      for (const ix of def.indexes ?? []) this.informer(ix.ref).addIndex(ix.name, ix.fn);
      for (const ref of def.reads ?? []) this.informer(ref);
      if (def.primary !== undefined) this.informer(def.primary).onChange((_t, o) => queue.add(keyOf(o)));
      for (const w of def.watches ?? [])
        this.informer(w.ref).onChange((_t, o, old) => {
          for (const k of w.keys(o, old, this.view)) queue.add(k);
        });
    }
    this.started = true;
    const informers = [...this.informers.values()];
    for (const inf of informers)
      void inf
        .run(signal)
        .catch((e: unknown) => this.options.onError?.('informer', refKey(inf.ref), e as Error));
    await Promise.race([
      Promise.all(informers.map((i) => i.synced)),
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    ]);
    if (signal.aborted) return;
    for (const r of this.running) {
      r.def.triggers?.((k) => r.queue.add(k), signal);
      for (let i = 0; i < (r.def.workers ?? 1); i++) void this.work(r, signal);
    }
  }

  private async work(r: Running, signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await r.queue.get();
      if (key === undefined || signal.aborted) return;
      try {
        await this.sync(r, key, signal);
      } catch (e) {
        // A bug in a reconcile must not stop the controller: report it and retry with back-off.
        this.options.onError?.(r.def.name, key, e as Error);
        r.queue.addRateLimited(key);
      } finally {
        r.queue.done(key);
      }
    }
  }

  private async sync(r: Running, key: string, signal: AbortSignal): Promise<void> {
    this.syncs.set(r.def.name, (this.syncs.get(r.def.name) ?? 0) + 1);
    const plan = await r.def.reconcile(key, this.view, this.options.clock.now());
    if (signal.aborted) return;
    const { failed, written } = await this.apply(r, plan.actions, signal);
    if (signal.aborted) return;
    // Read our own writes before the next reconcile of anything, or it would act on a stale cache.
    await Promise.all([...written].map(([k, rv]) => this.informers.get(k)?.waitForRevision(rv, signal)));
    if (failed !== undefined) {
      if (failed.status.reason !== 'Conflict' && failed.status.reason !== 'AlreadyExists')
        this.options.onError?.(r.def.name, key, failed);
      r.queue.addRateLimited(key);
      return;
    }
    r.queue.forget(key);
    if (plan.requeueAfterMs !== undefined) r.queue.addAfter(key, plan.requeueAfterMs);
  }

  /** Applies actions in order; consecutive creates or deletes run concurrently (like a burst). */
  private async apply(
    r: Running,
    actions: readonly Action[],
    signal: AbortSignal,
  ): Promise<{ failed: StatusError | undefined; written: Map<string, number> }> {
    const written = new Map<string, number>();
    let failed: StatusError | undefined;
    let i = 0;
    while (i < actions.length && !signal.aborted) {
      const first = actions[i];
      if (first === undefined) break;
      let j = i + 1;
      if (first.kind === 'create' || first.kind === 'delete')
        while (j < actions.length && actions[j]?.kind === first.kind) j++;
      const batch = actions.slice(i, j);
      const results = await Promise.all(batch.map((a) => this.applyOne(r, a)));
      for (const [k, res] of results.entries()) {
        const a = batch[k];
        if (res === undefined || a === undefined || a.kind === 'event') continue;
        if (isStatusError(res)) {
          if (a.kind === 'delete' && res.status.code === 404) continue;
          failed ??= res;
          continue;
        }
        const rv = Number(res.metadata.resourceVersion ?? '0');
        const rk = refKey(a.ref);
        if (rv > (written.get(rk) ?? 0)) written.set(rk, rv);
      }
      // A failed write means the world is not what reconcile assumed: stop and look again.
      if (failed !== undefined) break;
      i = j;
    }
    return { failed, written };
  }

  private async applyOne(r: Running, a: Action): Promise<KubeObject | StatusError | undefined> {
    const c = this.options.client;
    switch (a.kind) {
      case 'create':
        return c.create(a.ref, a.object);
      case 'update':
        return c.update(a.ref, a.object);
      case 'updateStatus':
        return c.updateStatus(a.ref, a.object);
      case 'delete':
        return c.delete(a.ref, a.namespace, a.name, {
          ...(a.preconditions !== undefined ? { preconditions: a.preconditions } : {}),
          ...(a.propagationPolicy !== undefined ? { propagationPolicy: a.propagationPolicy } : {}),
          ...(a.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: a.gracePeriodSeconds } : {}),
        });
      case 'event': {
        const err = await r.recorder.record(a.event);
        if (err !== undefined) this.options.onError?.(r.def.name, 'event', err);
        return undefined;
      }
    }
  }
}
