/**
 * Kubernetes watches over etcd watches. etcd delivers every change of the key range in revision
 * order with the previous value (prev_kv); the embedded store's `toWatcherEvent` then decides what
 * a filtered watcher sees (starts matching -> ADDED, stops matching -> DELETED), so both backends
 * agree on selector transitions.
 *
 *   resourceVersion absent/""/"0": range at the current revision R -> ADDED for each selected
 *     object -> etcd watch from R+1
 *   resourceVersion N: is N compacted? (a count-only range at N; 410 if so) -> etcd watch from N+1
 *   etcd event -> ChangeEvent { object, prevObject } -> toWatcherEvent -> sink
 *   etcd progress notification -> BOOKMARK (when allowed)
 *   watch cancelled by etcd (compacted while reconnecting) -> ERROR 410, the client lists again
 *   etcd stream lost (etcd down, or frozen: gRPC keepalive) -> ERROR 503, the client watches again
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { badRequest, expired, StatusError, serviceUnavailable } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { ObjectBackend, WatchOptions, WatchStream } from '../apiserver/backend.ts';
import type { ChangeEvent } from '../store/history.ts';
import type { ResourcePolicy } from '../store/policy.ts';
import { compileSelection, type Selection, selects } from '../store/selection.ts';
import { bookmarkObject, toWatcherEvent, type WatchEvent } from '../store/watch-hub.ts';
import { etcdToApiError, isCompacted } from './etcd-errors.ts';
import { decodeValue, type KeyLayout, type KeyRange } from './etcd-keys.ts';
import { CHUNK } from './etcd-list.ts';

type Sink = Parameters<ObjectBackend['watch']>[2];

export async function watchEtcd(
  client: Etcd3,
  layout: KeyLayout,
  policy: ResourcePolicy,
  options: WatchOptions,
  sink: Sink,
): Promise<WatchStream> {
  const selection = compileSelection(policy, options);
  if ('status' in selection) throw selection;
  const range = layout.range(policy, selection.namespace);
  const rvText = options.resourceVersion ?? '';
  let after: number;
  try {
    if (rvText === '' || rvText === '0') after = await sendCurrentState(client, selection, range, sink);
    else {
      after = Number(rvText);
      if (!/^\d+$/.test(rvText) || !Number.isSafeInteger(after))
        throw badRequest(`invalid resource version: "${rvText}"`);
      await checkNotCompacted(client, range, after);
    }
  } catch (e) {
    throw etcdToApiError(e, `watch ${policy.resource}`);
  }
  return startWatcher(client, layout, policy, selection, range, after, options.allowBookmarks, sink);
}

/** ADDED for every selected object at the current revision; returns that revision. */
async function sendCurrentState(
  client: Etcd3,
  selection: Selection,
  range: KeyRange,
  sink: Sink,
): Promise<number> {
  let revision: number | undefined;
  let from = range.start;
  for (;;) {
    const answer = await client.kv.range({
      key: Buffer.from(from),
      range_end: Buffer.from(range.end),
      limit: CHUNK,
      ...(revision === undefined ? {} : { revision }),
    });
    revision ??= Number(answer.header.revision);
    for (const kv of answer.kvs) {
      const object = decodeValue(kv.value, kv.mod_revision, kv.key.toString('utf8'));
      if (selects(selection, object))
        sink({ type: 'ADDED', object, revision: Number(object.metadata.resourceVersion) });
    }
    const last = answer.kvs.at(-1);
    if (!answer.more || last === undefined) return revision;
    from = `${last.key.toString('utf8')}\u0000`;
  }
}

/** A watch from N replays the changes after N: etcd must still hold revision N. */
async function checkNotCompacted(client: Etcd3, range: KeyRange, revision: number): Promise<void> {
  try {
    await client.kv.range({
      key: Buffer.from(range.start),
      range_end: Buffer.from(range.end),
      revision,
      count_only: true,
    });
  } catch (e) {
    if (isCompacted(e)) throw expired(`too old resource version: ${revision} (compacted)`);
    // A revision etcd has not reached yet is fine: the watch waits for it, as the embedded store's does.
    if (e instanceof Error && e.message.includes('future revision')) return;
    throw e;
  }
}

async function startWatcher(
  client: Etcd3,
  layout: KeyLayout,
  policy: ResourcePolicy,
  selection: Selection,
  range: KeyRange,
  after: number,
  allowBookmarks: boolean,
  sink: Sink,
): Promise<WatchStream> {
  let stopped = false;
  let watcher: Watcher | undefined;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    watcher?.cancel().catch((e: unknown) => {
      // The stream is gone either way; the client already stopped caring.
      if (!(e instanceof Error)) throw e;
    });
  };
  const deliver = (event: WatchEvent): void => {
    if (stopped) return;
    try {
      sink(event);
    } catch (err) {
      stop();
      // Same contract as the embedded store: a sink must not throw; surface the bug, keep others going.
      queueMicrotask(() => {
        throw err;
      });
    }
  };
  const fail = (error: StatusError): void => {
    deliver({ type: 'ERROR', object: error.status, revision: 0 });
    stop();
  };
  try {
    watcher = await attach(
      client
        .watch()
        .inRange({ start: Buffer.from(range.start), end: Buffer.from(range.end) })
        .startRevision(String(after + 1))
        .withPreviousKV()
        .watcher(),
    );
  } catch (e) {
    // etcd cancels a watch whose start revision is compacted (here: compacted since the check).
    throw isCompacted(e) || isCancelled(e)
      ? expired(`too old resource version: ${after} (compacted)`)
      : etcdToApiError(e, `watch ${policy.resource}`);
  }
  // Responses are handled one after another: a finalized deletion may need one read (its final
  // state) before it is delivered, and nothing after it may overtake it.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (step: () => void | Promise<void>): void => {
    queue = queue.then(step).catch((e: unknown) => fail(etcdToApiError(e, `watch ${policy.resource}`)));
  };
  const handle = async (res: IWatchResponse): Promise<void> => {
    if (res.events.length === 0) {
      if (allowBookmarks && !res.created) {
        const revision = Number(res.header.revision);
        deliver({ type: 'BOOKMARK', object: bookmarkObject(policy, revision), revision });
      }
      return;
    }
    for (const e of res.events) {
      if (stopped) return;
      let change = changeOf(policy, e.type, e.kv, e.prev_kv);
      if (change instanceof StatusError) return fail(change);
      const prev = change.prevObject;
      if (
        change.type === 'DELETED' &&
        prev !== undefined &&
        finalizing(policy, prev) &&
        selects(selection, prev)
      )
        change = await withFinalState(client, layout, change, e.kv.key.toString('utf8'));
      const out = toWatcherEvent(selection, change);
      if (out !== undefined) deliver(out);
    }
  };
  watcher.on('data', (res: IWatchResponse) => enqueue(() => handle(res)));
  watcher.on('error', (e: unknown) =>
    // etcd cancels a watch whose start revision was compacted (e.g. while the client reconnected);
    // the etcd3 client does not say why, so the client must list again either way.
    enqueue(() =>
      fail(
        isCompacted(e) || isCancelled(e)
          ? expired(`the etcd watch was cancelled (${(e as Error).message}); list again and watch from there`)
          : etcdToApiError(e, `watch ${policy.resource}`),
      ),
    ),
  );
  // The etcd3 client would reconnect and resume quietly, but a watcher must not stay silent while
  // etcd is away: end the watch with 503 so the client watches again (or lists, if etcd compacted
  // meanwhile and the next watch answers 410). A frozen etcd is noticed by gRPC keepalive.
  watcher.on('disconnected', (e: unknown) =>
    enqueue(() =>
      fail(
        serviceUnavailable(
          `lost the etcd datastore's watch stream (${e instanceof Error ? e.message : String(e)}); watch again from the last resourceVersion`,
          1,
        ),
      ),
    ),
  );
  return { stop };
}

/**
 * Resolves once etcd confirmed the watch. The client's create() would wait through reconnects
 * for as long as etcd is down; a watch request must fail instead (503) so the client retries.
 */
function attach(watcher: Watcher): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown): void => {
      watcher.off('connected', onConnected);
      watcher.off('error', settle);
      watcher.off('disconnected', settle);
      if (error === undefined) {
        resolve(watcher);
        return;
      }
      reject(error);
      watcher.cancel().catch((e: unknown) => {
        // The stream is gone already; the watch request fails with the first error either way.
        if (!(e instanceof Error)) throw e;
      });
    };
    const onConnected = (): void => settle();
    watcher.on('connected', onConnected);
    watcher.on('error', settle);
    watcher.on('disconnected', settle);
  });
}

/** The deleted object still had finalizers: an update cleared them and so removed it (see etcd-keys.ts). */
function finalizing(policy: ResourcePolicy, prev: KubeObject): boolean {
  const namespaceFinalizers =
    policy.resource === 'namespaces' && policy.group === ''
      ? ((prev as { spec?: { finalizers?: unknown[] } }).spec?.finalizers?.length ?? 0)
      : 0;
  return (prev.metadata.finalizers?.length ?? 0) + namespaceFinalizers > 0;
}

/**
 * The DELETED event with the final, finalizer-free state the removing update wrote next to the
 * deletion. Without that record (etcd compacted it already) the event keeps the state before.
 */
async function withFinalState(
  client: Etcd3,
  layout: KeyLayout,
  change: ChangeEvent,
  objectKey: string,
): Promise<ChangeEvent> {
  const finalKey = layout.finalStateKeyOf(objectKey);
  let answer: Awaited<ReturnType<Etcd3['kv']['range']>>;
  try {
    answer = await client.kv.range({ key: Buffer.from(finalKey), revision: change.revision });
  } catch (e) {
    if (isCompacted(e)) return change;
    throw e;
  }
  const kv = answer.kvs[0];
  if (kv === undefined || Number(kv.mod_revision) !== change.revision) return change;
  return { ...change, object: decodeValue(kv.value, kv.mod_revision, finalKey) };
}

/** The etcd3 client reports etcd's cancellation of a watch (compaction) only by this wording. */
const isCancelled = (e: unknown): boolean => e instanceof Error && e.message.startsWith('Watcher canceled');

/** One etcd event as the embedded store's change event. */
function changeOf(
  policy: ResourcePolicy,
  type: 'Put' | 'Delete',
  kv: IKeyValue,
  prev: IKeyValue | null | undefined,
): ChangeEvent | StatusError {
  const key = kv.key.toString('utf8');
  const revision = Number(kv.mod_revision);
  // etcd3 sends null, not undefined, when there is no previous value (a create).
  const prevObject = prev == null ? undefined : decodeValue(prev.value, prev.mod_revision, key);
  const base = { revision, group: policy.group, resource: policy.resource };
  if (type === 'Put') {
    const object = decodeValue(kv.value, kv.mod_revision, key);
    return prevObject === undefined
      ? { ...base, type: 'ADDED', object }
      : { ...base, type: 'MODIFIED', object, prevObject };
  }
  if (prevObject === undefined)
    return expired(`etcd sent the deletion of ${key} without its last value (compacted); list again`);
  // The DELETED event carries the last state under the deletion's revision, as Kubernetes does.
  const object = structuredClone(prevObject);
  object.metadata.resourceVersion = String(revision);
  return { ...base, type: 'DELETED', object, prevObject };
}
