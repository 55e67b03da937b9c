/**
 * The replicated object store: a deterministic state machine that Raft drives. Commands go in
 * (already carrying uids and timestamps), results and change events come out; there is no clock,
 * no randomness and no I/O inside. Reads (get, list, watch) are served from memory; making them
 * linearizable is the caller's job (Raft ReadIndex, see README).
 *
 *   apply(cmd) -> plan every command against a view (txn: all or none) -> commit: buckets,
 *   revision, history -> fan out to watchers -> results + events
 */
import { badRequest, expired, notFound, type StatusError } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import { type CommandResult, decodeCommand, type StoreCommand } from './commands.ts';
import { type ChangeEvent, EventHistory } from './history.ts';
import { namespaceRange, objectPath, type ResourceRef, resourceKey } from './keys.ts';
import { type ListOptions, listObjects } from './list.ts';
import { type PlannedChange, planCommand, type StoreView, unknownResource } from './planner.ts';
import { policyFor } from './policy.ts';
import { lowerBound, ResourceBucket } from './resource-bucket.ts';
import { compileSelection, type SelectionOptions, selects } from './selection.ts';
import { bookmarkObject, toWatcherEvent, type WatchHandle, WatchHub, type WatchSink } from './watch-hub.ts';

export interface ObjectStoreOptions {
  /** How many changes the history keeps for watch resumption and paging (default 10,000). */
  readonly historyCapacity?: number;
  /** Reject namespaced creates into a missing or terminating namespace (default true). */
  readonly requireNamespace?: boolean;
}

export interface ApplyOutcome {
  /** One per command (per sub-command of a txn). */
  readonly results: CommandResult[];
  /** The changes committed, in revision order. */
  readonly events: ChangeEvent[];
  /** The store revision after this apply. */
  readonly revision: number;
}

export interface WatchOptions extends ResourceRef, SelectionOptions {
  /**
   * Absent, '' or '0': start now, first sending a synthetic ADDED for every current object (unless
   * sendInitialEvents is false). 'N': replay every change after N, then go live; 410 Expired if the
   * history no longer reaches N.
   */
  readonly resourceVersion?: string;
  readonly sendInitialEvents?: boolean;
  readonly allowWatchBookmarks?: boolean;
}

export const DEFAULT_HISTORY_CAPACITY = 10_000;

export class ObjectStore {
  private readonly buckets = new Map<string, ResourceBucket>();
  private rev: number;
  private readonly events: EventHistory;
  private readonly hub = new WatchHub();
  private readonly requireNamespace: boolean;

  constructor(options: ObjectStoreOptions = {}, restored?: { revision: number; history: EventHistory }) {
    this.events = restored?.history ?? new EventHistory(options.historyCapacity ?? DEFAULT_HISTORY_CAPACITY);
    this.rev = restored?.revision ?? 0;
    this.requireNamespace = options.requireNamespace ?? true;
  }

  /** The revision of the last change; lists report it as their resourceVersion. */
  get revision(): number {
    return this.rev;
  }
  get history(): EventHistory {
    return this.events;
  }
  get watcherCount(): number {
    return this.hub.size;
  }

  /** Applies one Raft entry. A malformed entry changes nothing and answers BadRequest. */
  applyEntry(bytes: Uint8Array): ApplyOutcome {
    const cmd = decodeCommand(bytes);
    if ('status' in cmd)
      return { results: [{ ok: false, status: cmd.status }], events: [], revision: this.rev };
    return this.apply(cmd);
  }

  apply(cmd: StoreCommand): ApplyOutcome {
    const commands = cmd.op === 'txn' ? cmd.commands : [cmd];
    const pending = new Map<string, KubeObject | undefined>();
    const view: StoreView = {
      get: (ref, path) => {
        const k = `${resourceKey(ref)}\u0000${path}`;
        return pending.has(k) ? pending.get(k) : this.buckets.get(resourceKey(ref))?.objects.get(path);
      },
    };
    const changes: PlannedChange[] = [];
    const results: CommandResult[] = [];
    let next = this.rev;
    for (const [i, c] of commands.entries()) {
      const plan = planCommand(view, c, next + 1, { requireNamespace: this.requireNamespace });
      if ('status' in plan) return this.abort(commands.length, i, plan);
      if (plan.change !== undefined) {
        next++;
        changes.push(plan.change);
        const ch = plan.change;
        pending.set(`${resourceKey(ch)}\u0000${ch.path}`, ch.type === 'DELETED' ? undefined : ch.object);
      }
      results.push({ ok: true, object: plan.object, removed: plan.change?.type === 'DELETED' });
    }
    const events = changes.map((c) => this.commit(c));
    for (const e of events) this.hub.dispatch(e);
    return { results, events, revision: this.rev };
  }

  /** A failed command fails its whole transaction; the others report why they were not applied. */
  private abort(count: number, failed: number, error: StatusError): ApplyOutcome {
    const results: CommandResult[] = [];
    for (let i = 0; i < count; i++) {
      if (i === failed) results.push({ ok: false, status: error.status });
      else
        results.push({
          ok: false,
          status: {
            ...error.status,
            message: `not applied: command ${failed} of the transaction failed: ${error.status.message}`,
          },
        });
    }
    return { results, events: [], revision: this.rev };
  }

  private commit(c: PlannedChange): ChangeEvent {
    this.rev++;
    const bucket = this.bucketFor(c);
    if (c.type === 'DELETED') bucket.remove(c.path);
    else bucket.put(c.path, c.object);
    const e: ChangeEvent =
      c.prevObject === undefined
        ? { type: c.type, revision: this.rev, group: c.group, resource: c.resource, object: c.object }
        : {
            type: c.type,
            revision: this.rev,
            group: c.group,
            resource: c.resource,
            object: c.object,
            prevObject: c.prevObject,
          };
    this.events.push(e);
    return e;
  }

  private bucketFor(ref: ResourceRef): ResourceBucket {
    const k = resourceKey(ref);
    let b = this.buckets.get(k);
    if (b === undefined) {
      b = new ResourceBucket();
      this.buckets.set(k, b);
    }
    return b;
  }

  /** The stored object (frozen: clone before changing), or NotFound. */
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | StatusError {
    const policy = policyFor(ref);
    if (policy === undefined) return unknownResource(ref);
    const obj = this.buckets
      .get(resourceKey(ref))
      ?.objects.get(objectPath(policy.namespaced ? namespace : '', name));
    return obj ?? notFound(policy, name);
  }

  list(ref: ResourceRef, options: ListOptions = {}): KubeList | StatusError {
    const policy = policyFor(ref);
    if (policy === undefined) return unknownResource(ref);
    return listObjects(
      { revision: this.rev, history: this.events, bucket: (p) => this.buckets.get(resourceKey(p)) },
      policy,
      options,
    );
  }

  /** Number of live objects of a resource (and namespace). */
  count(ref: ResourceRef, namespace?: string): number {
    const b = this.buckets.get(resourceKey(ref));
    if (b === undefined) return 0;
    if (namespace === undefined) return b.size;
    const [lo, hi] = namespaceRange(namespace);
    return lowerBound(b.paths, hi) - lowerBound(b.paths, lo);
  }

  /** Starts a watch; events reach `sink` synchronously, in revision order, until `stop()`. */
  watch(options: WatchOptions, sink: WatchSink): WatchHandle | StatusError {
    const policy = policyFor(options);
    if (policy === undefined) return unknownResource(options);
    const selection = compileSelection(policy, options);
    if ('status' in selection) return selection;
    const rvText = options.resourceVersion ?? '';
    const fromNow = rvText === '' || rvText === '0';
    let after = this.rev;
    if (!fromNow) {
      const rv = Number(rvText);
      if (!/^\d+$/.test(rvText) || !Number.isSafeInteger(rv))
        return badRequest(`invalid resource version: "${rvText}"`);
      if (!this.events.covers(rv))
        return expired(`too old resource version: ${rv} (${this.events.compactedRevision})`);
      after = rv;
    }
    const bookmarks = options.allowWatchBookmarks === true;
    const { handle, send } = this.hub.add(policy, selection, sink, bookmarks, Math.max(after, this.rev));
    if (fromNow) {
      if (options.sendInitialEvents !== false) {
        const bucket = this.buckets.get(resourceKey(policy));
        const [lo, hi] =
          selection.namespace === undefined ? ['', '\uffff'] : namespaceRange(selection.namespace);
        const paths = bucket?.paths ?? [];
        for (let i = lowerBound(paths, lo); i < paths.length && !handle.stopped; i++) {
          const path = paths[i] ?? '';
          if (path >= hi) break;
          const obj = bucket?.objects.get(path);
          if (obj !== undefined && selects(selection, obj))
            send({ type: 'ADDED', object: obj, revision: Number(obj.metadata.resourceVersion) });
        }
        if (options.sendInitialEvents === true && bookmarks)
          send({
            type: 'BOOKMARK',
            object: bookmarkObject(policy, this.rev, { 'k8s.io/initial-events-end': 'true' }),
            revision: this.rev,
          });
      }
    } else {
      for (const e of this.events.after(after)) {
        if (handle.stopped) break;
        if (e.group !== policy.group || e.resource !== policy.resource) continue;
        const out = toWatcherEvent(selection, e);
        if (out !== undefined) send(out);
      }
    }
    return handle;
  }

  /** Sends a BOOKMARK at the current revision to watchers that allowed them. */
  bookmark(): void {
    this.hub.bookmark(this.rev);
  }

  /** Every live object, by resource key then path (for snapshots). */
  *entries(): Generator<[string, KubeObject[]]> {
    for (const k of [...this.buckets.keys()].sort()) {
      const b = this.buckets.get(k);
      if (b === undefined || b.size === 0) continue;
      yield [k, b.paths.map((p) => b.objects.get(p)).filter((o): o is KubeObject => o !== undefined)];
    }
  }

  /** Rebuilds buckets from a snapshot's objects (used by restore). */
  loadObjects(ref: ResourceRef, objects: readonly KubeObject[]): void {
    const bucket = this.bucketFor(ref);
    for (const o of objects) bucket.put(objectPath(o.metadata.namespace ?? '', o.metadata.name ?? ''), o);
  }
}
