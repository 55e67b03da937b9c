/**
 * Snapshot and restore of the whole store: objects, revision and the event history (so that
 * watches and continue tokens keep working on a replica restored from a Raft snapshot).
 * The bytes are canonical JSON: the same state always gives the same bytes.
 */
import { badRequest, type StatusError } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { canonicalStringify, deepFreeze } from './canonical-json.ts';
import { type ChangeEvent, EventHistory } from './history.ts';
import { ObjectStore, type ObjectStoreOptions } from './object-store.ts';

const FORMAT = 'kedge-store/1';

interface SnapshotBody {
  format: typeof FORMAT;
  revision: number;
  historyCapacity: number;
  compactedRevision: number;
  resources: { group: string; resource: string; objects: KubeObject[] }[];
  history: ChangeEvent[];
}

export function snapshotStore(store: ObjectStore): Uint8Array {
  const body: SnapshotBody = {
    format: FORMAT,
    revision: store.revision,
    historyCapacity: store.history.capacity,
    compactedRevision: store.history.compactedRevision,
    resources: [...store.entries()].map(([key, objects]) => {
      const slash = key.indexOf('/');
      return { group: key.slice(0, slash), resource: key.slice(slash + 1), objects };
    }),
    history: store.history.all(),
  };
  return new TextEncoder().encode(canonicalStringify(body));
}

/** Rebuilds a store; `options.historyCapacity` overrides the snapshot's. Bad bytes are a BadRequest value. */
export function restoreStore(bytes: Uint8Array, options: ObjectStoreOptions = {}): ObjectStore | StatusError {
  let body: SnapshotBody;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as SnapshotBody;
  } catch (e) {
    return badRequest(`store snapshot is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (body?.format !== FORMAT)
    return badRequest(`store snapshot format ${JSON.stringify(body?.format)} is not ${FORMAT}`);
  if (!Number.isInteger(body.revision) || !Array.isArray(body.resources) || !Array.isArray(body.history))
    return badRequest('store snapshot is missing revision, resources or history');
  const capacity = options.historyCapacity ?? body.historyCapacity;
  const events = body.history.slice(Math.max(0, body.history.length - capacity));
  const firstKept = events[0]?.revision;
  const compacted = firstKept === undefined ? body.revision : firstKept - 1;
  const history = new EventHistory(capacity, compacted);
  try {
    for (const e of events) history.push(deepFreeze(e));
  } catch (e) {
    return badRequest(`store snapshot history is inconsistent: ${(e as Error).message}`);
  }
  const store = new ObjectStore(
    { ...options, historyCapacity: capacity },
    { revision: body.revision, history },
  );
  for (const r of body.resources)
    store.loadObjects(
      r,
      r.objects.map((o) => deepFreeze(o)),
    );
  return store;
}
