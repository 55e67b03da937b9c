/**
 * Live watchers and the fan-out of applied changes to them. Watchers are indexed by resource,
 * namespace and, when their field selector pins one, by metadata.name or spec.nodeName (kubelets
 * watch `spec.nodeName=<me>`, kubectl's rollout status watches `metadata.name=<x>`), so a change is
 * offered only to watchers that could want it, never to every watcher of the cluster.
 */
import { exactField, fieldValue } from '../api/field-selector.ts';
import type { KubeObject, Status } from '../api/types/meta.ts';
import { deepFreeze } from './canonical-json.ts';
import type { ChangeEvent } from './history.ts';
import { resourceKey } from './keys.ts';
import type { ResourcePolicy } from './policy.ts';
import { type Selection, selects } from './selection.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  /** The object (frozen, shared: clone before changing it), a bookmark stub, or a Status for ERROR. */
  readonly object: KubeObject | Status;
  readonly revision: number;
}

/** Receives events in revision order. It must not throw; one that does is stopped (see WatchHub). */
export type WatchSink = (event: WatchEvent) => void;

export interface WatchHandle {
  readonly id: number;
  readonly stopped: boolean;
  stop(): void;
}

interface Watcher {
  readonly id: number;
  readonly policy: ResourcePolicy;
  readonly selection: Selection;
  readonly sink: WatchSink;
  readonly allowBookmarks: boolean;
  readonly slot: string;
  /** Changes at or below this revision were already covered by the replay. */
  readonly after: number;
  stopped: boolean;
}

const INDEXED_FIELDS = [
  ['metadata.name', 'n'],
  ['spec.nodeName', 'node'],
] as const;

function slotOf(selection: Selection): string {
  const ns = selection.namespace ?? '*';
  for (const [field, tag] of INDEXED_FIELDS) {
    const v = exactField(selection.fields, field);
    if (v !== undefined) return `${ns}|${tag}:${v}`;
  }
  return `${ns}|*`;
}

export class WatchHub {
  private nextId = 1;
  /** resourceKey -> slot -> watchers. */
  private readonly index = new Map<string, Map<string, Set<Watcher>>>();
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Registers a watcher; `send` lets the caller deliver the replay before live events flow. */
  add(
    policy: ResourcePolicy,
    selection: Selection,
    sink: WatchSink,
    allowBookmarks: boolean,
    after: number,
  ): { handle: WatchHandle; send: (e: WatchEvent) => void } {
    const w: Watcher = {
      id: this.nextId++,
      policy,
      selection,
      sink,
      allowBookmarks,
      slot: slotOf(selection),
      after,
      stopped: false,
    };
    const rk = resourceKey(policy);
    let slots = this.index.get(rk);
    if (slots === undefined) {
      slots = new Map();
      this.index.set(rk, slots);
    }
    let set = slots.get(w.slot);
    if (set === undefined) {
      set = new Set();
      slots.set(w.slot, set);
    }
    set.add(w);
    this.live++;
    const handle: WatchHandle = {
      id: w.id,
      get stopped() {
        return w.stopped;
      },
      stop: () => this.remove(w),
    };
    return { handle, send: (e) => this.deliver(w, e) };
  }

  private remove(w: Watcher): void {
    if (w.stopped) return;
    w.stopped = true;
    this.live--;
    const slots = this.index.get(resourceKey(w.policy));
    const set = slots?.get(w.slot);
    set?.delete(w);
    if (set !== undefined && set.size === 0) slots?.delete(w.slot);
  }

  /** Offers one applied change to the watchers that may select it. */
  dispatch(e: ChangeEvent): void {
    const slots = this.index.get(resourceKey(e));
    if (slots === undefined || slots.size === 0) return;
    const ns = e.object.metadata.namespace ?? '';
    const tails = new Set([
      '*',
      `n:${e.object.metadata.name ?? ''}`,
      `node:${fieldValue(e.object, 'spec.nodeName')}`,
    ]);
    if (e.prevObject !== undefined) tails.add(`node:${fieldValue(e.prevObject, 'spec.nodeName')}`);
    const targets: Watcher[] = [];
    for (const head of [ns, '*'])
      for (const tail of tails) for (const w of slots.get(`${head}|${tail}`) ?? []) targets.push(w);
    for (const w of targets) {
      if (e.revision <= w.after) continue;
      const out = toWatcherEvent(w.selection, e);
      if (out !== undefined) this.deliver(w, out);
    }
  }

  /** Sends a BOOKMARK carrying `revision` to every watcher that allowed bookmarks. */
  bookmark(revision: number): void {
    for (const slots of this.index.values())
      for (const set of slots.values())
        for (const w of set)
          if (w.allowBookmarks)
            this.deliver(w, { type: 'BOOKMARK', object: bookmarkObject(w.policy, revision), revision });
  }

  /** Delivers to one watcher; a sink that throws is stopped and its error rethrown outside apply. */
  private deliver(watcher: Watcher, event: WatchEvent): void {
    if (watcher.stopped) return;
    try {
      watcher.sink(event);
    } catch (err) {
      this.remove(watcher);
      // Apply must finish for every replica and every other watcher; surface the bug asynchronously.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

export function bookmarkObject(
  policy: ResourcePolicy,
  revision: number,
  annotations?: Record<string, string>,
): KubeObject {
  const metadata: KubeObject['metadata'] = { resourceVersion: String(revision) };
  if (annotations !== undefined) metadata.annotations = annotations;
  return { apiVersion: policy.apiVersion, kind: policy.kind, metadata };
}

/**
 * What one watcher sees of a change, as Kubernetes' watch cache decides it: an object that starts
 * matching is ADDED, one that stops matching is DELETED (its previous state under the new revision).
 */
export function toWatcherEvent(selection: Selection, e: ChangeEvent): WatchEvent | undefined {
  const was = e.prevObject !== undefined && selects(selection, e.prevObject);
  if (e.type === 'DELETED')
    return was ? { type: 'DELETED', object: e.object, revision: e.revision } : undefined;
  const is = selects(selection, e.object);
  if (is) return { type: was ? 'MODIFIED' : 'ADDED', object: e.object, revision: e.revision };
  if (!was || e.prevObject === undefined) return undefined;
  const last = structuredClone(e.prevObject);
  last.metadata.resourceVersion = String(e.revision);
  return { type: 'DELETED', object: deepFreeze(last), revision: e.revision };
}
