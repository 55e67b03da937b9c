/**
 * The PriorityClasses as Priority admission reads them on every pod create: a copy kept by a watch,
 * as Kubernetes' admission reads its informer's lister. A pod create then costs no store read (on
 * the replicated store each read is a ReadIndex round to a quorum).
 *
 *   first use ──> list (one read) ──> watch from the list's revision ──> ADDED/MODIFIED/DELETED kept
 *   ERROR (snapshot restore, compaction, etcd gone) ──> unsynced: the next use lists and watches again
 *   named class not in the copy ──> one direct get (a class created a moment ago, not yet seen)
 *
 * Staleness is Kubernetes': a globalDefault class created or changed a moment ago may be missed by a
 * pod created at the same moment. On the replicated store's leader the watch is fed synchronously by
 * the apply, so a class whose create has returned is already in the copy there.
 */
import { isStatusError } from '../api/errors.ts';
import { PRIORITY_CLASSES } from '../api/priority.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { PriorityClass } from '../api/types/scheduling.ts';
import type { ObjectBackend, WatchEvent, WatchStream } from './backend.ts';

export class PriorityClassCache {
  readonly #backend: ObjectBackend;
  readonly #classes = new Map<string, PriorityClass>();
  #synced = false;
  /** The list-and-watch in progress, shared by the admissions that wait for it. */
  #syncing: Promise<void> | undefined;
  #stream: WatchStream | undefined;
  /** Bumped at each (re)sync, so that events of a watch that was replaced are ignored. */
  #generation = 0;
  #stopped = false;

  constructor(backend: ObjectBackend) {
    this.#backend = backend;
  }

  /** True while the watch runs and the copy follows the store. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Every stored class, from the copy; lists and starts the watch first when it does not run. */
  async classes(): Promise<PriorityClass[]> {
    if (!this.#synced) await this.#sync();
    return [...this.#classes.values()];
  }

  /**
   * The stored class `name`: from the copy, else by a direct read, so that a pod naming a class
   * created a moment ago is not refused. undefined when the store has none.
   */
  async find(name: string): Promise<PriorityClass | undefined> {
    const known = (await this.classes()).find((c) => c.metadata.name === name);
    if (known !== undefined) return known;
    // Not added to the copy: the watch brings it, and adding it here could resurrect a class whose
    // DELETED event arrives between this read and the insert.
    try {
      return (await this.#backend.get({ ...PRIORITY_CLASSES, namespace: '', name })) as PriorityClass;
    } catch (error) {
      if (isStatusError(error) && error.status.code === 404) return undefined;
      throw error;
    }
  }

  /** Ends the watch (the copy is no longer kept; a later use starts it again). */
  stop(): void {
    this.#stopped = true;
    this.#unsync();
  }

  #sync(): Promise<void> {
    this.#stopped = false;
    this.#syncing ??= this.#listAndWatch().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #listAndWatch(): Promise<void> {
    const generation = ++this.#generation;
    const list = await this.#backend.list(PRIORITY_CLASSES, {});
    this.#classes.clear();
    for (const item of list.items) this.#keep(item);
    const stream = await this.#backend.watch(
      PRIORITY_CLASSES,
      { resourceVersion: list.metadata.resourceVersion ?? '', allowBookmarks: false },
      (event) => {
        if (generation === this.#generation) this.#apply(event);
      },
    );
    // An ERROR during the replay, or a stop() meanwhile, already ended this generation.
    if (generation !== this.#generation || this.#stopped) {
      stream.stop();
      return;
    }
    this.#stream = stream;
    this.#synced = true;
  }

  #apply(event: WatchEvent): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#keep(event.object as KubeObject);
        return;
      case 'DELETED':
        this.#classes.delete((event.object as KubeObject).metadata.name ?? '');
        return;
      case 'ERROR':
        // The watch cannot go on (history compacted, snapshot restored, etcd unreachable).
        this.#unsync();
        return;
      case 'BOOKMARK':
        return;
    }
  }

  #keep(object: KubeObject): void {
    this.#classes.set(object.metadata.name ?? '', object as PriorityClass);
  }

  #unsync(): void {
    this.#generation++;
    this.#synced = false;
    this.#stream?.stop();
    this.#stream = undefined;
  }
}
