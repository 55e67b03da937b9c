/**
 * A shared informer: one list + watch of a resource, a cache of its objects, secondary indexes
 * (namespace, owner uid, and any a controller adds) and change handlers. The watch resumes from the
 * last revision seen when the stream ends; a 410 Expired (history compacted) means re-list and diff
 * the cache so handlers still see every deletion.
 *
 *   list ─> cache + ADDED to handlers ─> watch(rv) ─> events ─> cache, indexes, handlers
 *                   ▲                         │ closed: resume from rv │ 410: re-list
 *                   └─────────────────────────┘
 */
import { isStatusError, type StatusError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import type { WatchEvent } from '../../store/watch-hub.ts';
import type { ClusterClient, ResourceRef } from './client.ts';
import type { Clock } from './clock.ts';
import { keyOf } from './objects.ts';

export type ChangeHandler = (
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  object: KubeObject,
  old: KubeObject | undefined,
) => void;

type IndexFn = (obj: KubeObject) => readonly string[];

export interface InformerOptions {
  readonly clock: Clock;
  /** Delay before retrying a failed list or watch (ms, default 1000). */
  readonly retryMs?: number;
  /** Called with errors that are retried, so that the operator can see them. */
  readonly onError?: (error: StatusError, what: string) => void;
}

export class Informer {
  readonly ref: ResourceRef;
  private readonly client: ClusterClient;
  private readonly options: InformerOptions;
  private readonly cache = new Map<string, KubeObject>();
  private readonly indexFns = new Map<string, IndexFn>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: ChangeHandler[] = [];
  private revision = 0;
  private waiters: { rv: number; resolve: () => void }[] = [];
  private syncedFlag = false;
  private syncedResolve: () => void = () => {};
  /** Settles once the first list is in the cache. */
  readonly synced: Promise<void>;

  constructor(client: ClusterClient, ref: ResourceRef, options: InformerOptions) {
    this.client = client;
    this.ref = ref;
    this.options = options;
    this.synced = new Promise((r) => {
      this.syncedResolve = r;
    });
    this.addIndex('namespace', (o) => [o.metadata.namespace ?? '']);
    this.addIndex('owner', (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid));
  }

  get hasSynced(): boolean {
    return this.syncedFlag;
  }
  /** The revision of the last event or list this cache reflects. */
  get lastRevision(): number {
    return this.revision;
  }
  get size(): number {
    return this.cache.size;
  }

  addIndex(name: string, fn: IndexFn): void {
    if (this.indexFns.has(name)) return;
    this.indexFns.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [k, o] of this.cache) for (const v of fn(o)) addTo(index, v, k);
  }

  onChange(handler: ChangeHandler): void {
    this.handlers.push(handler);
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }
  getByKey(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }
  list(): KubeObject[] {
    return [...this.cache.values()];
  }
  byIndex(name: string, value: string): KubeObject[] {
    const keys = this.indexes.get(name)?.get(value);
    if (keys === undefined) return [];
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = this.cache.get(k);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Resolves once the cache has seen revision `rv` (read-your-writes for a controller). */
  waitForRevision(rv: number, signal: AbortSignal): Promise<void> {
    if (this.revision >= rv || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { rv, resolve };
      this.waiters.push(entry);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Lists, then watches until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      if (needList) {
        const listed = await this.client.list(this.ref);
        if (signal.aborted) return;
        if (isStatusError(listed)) {
          this.options.onError?.(listed, `list ${this.ref.resource}`);
          await this.sleep(signal);
          continue;
        }
        this.replace(listed.items, Number(listed.metadata.resourceVersion ?? '0'));
        needList = false;
      }
      const w = await this.client.watch(this.ref, { resourceVersion: String(this.revision) }, (e) =>
        this.apply(e),
      );
      if (signal.aborted) {
        if (!isStatusError(w)) w.stop();
        return;
      }
      if (isStatusError(w)) {
        if (w.status.reason === 'Expired' || w.status.code === 410) needList = true;
        else this.options.onError?.(w, `watch ${this.ref.resource}`);
        if (!needList) await this.sleep(signal);
        continue;
      }
      const stop = () => w.stop();
      signal.addEventListener('abort', stop, { once: true });
      const ended = await w.closed;
      signal.removeEventListener('abort', stop);
      if (ended !== undefined && (ended.status.reason === 'Expired' || ended.status.code === 410))
        needList = true;
      else if (ended !== undefined) {
        this.options.onError?.(ended, `watch ${this.ref.resource}`);
        await this.sleep(signal);
      }
    }
  }

  private sleep(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const cancel = this.options.clock.setTimer(resolve, this.options.retryMs ?? 1000);
      signal.addEventListener(
        'abort',
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  /** A fresh list: objects that vanished while we were not watching are reported as DELETED. */
  private replace(items: readonly KubeObject[], rv: number): void {
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const old = this.cache.get(k);
      if (old?.metadata.resourceVersion === o.metadata.resourceVersion) continue;
      this.store(k, o, old);
      this.emit(old === undefined ? 'ADDED' : 'MODIFIED', o, old);
    }
    for (const [k, old] of [...this.cache]) {
      if (seen.has(k)) continue;
      this.remove(k, old);
      this.emit('DELETED', old, old);
    }
    this.advance(rv);
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.syncedResolve();
    }
  }

  private apply(e: WatchEvent): void {
    if (e.type === 'BOOKMARK' || e.type === 'ERROR') {
      if (e.type === 'BOOKMARK') this.advance(e.revision);
      return;
    }
    const o = e.object as KubeObject;
    const k = keyOf(o);
    const old = this.cache.get(k);
    if (e.type === 'DELETED') {
      if (old !== undefined) this.remove(k, old);
      this.advance(e.revision);
      this.emit('DELETED', o, old);
      return;
    }
    this.store(k, o, old);
    this.advance(e.revision);
    this.emit(old === undefined ? 'ADDED' : 'MODIFIED', o, old);
  }

  private store(k: string, o: KubeObject, old: KubeObject | undefined): void {
    if (old !== undefined) this.unindex(k, old);
    this.cache.set(k, o);
    for (const [name, fn] of this.indexFns) {
      const index = this.indexes.get(name);
      if (index !== undefined) for (const v of fn(o)) addTo(index, v, k);
    }
  }

  private remove(k: string, old: KubeObject): void {
    this.unindex(k, old);
    this.cache.delete(k);
  }

  private unindex(k: string, o: KubeObject): void {
    for (const [name, fn] of this.indexFns) {
      const index = this.indexes.get(name);
      if (index === undefined) continue;
      for (const v of fn(o)) {
        const set = index.get(v);
        set?.delete(k);
        if (set !== undefined && set.size === 0) index.delete(v);
      }
    }
  }

  private advance(rv: number): void {
    if (rv > this.revision) this.revision = rv;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.rv <= this.revision);
    this.waiters = this.waiters.filter((w) => w.rv > this.revision);
    for (const w of ready) w.resolve();
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject, old: KubeObject | undefined): void {
    for (const h of this.handlers) h(type, o, old);
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (set === undefined) {
    set = new Set();
    index.set(value, set);
  }
  set.add(key);
}
