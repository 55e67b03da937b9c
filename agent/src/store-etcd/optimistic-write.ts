/**
 * One API write as an optimistic etcd transaction, with the embedded store's planner deciding
 * what the write means:
 *
 *   read the keys the planner needs (one read-only txn: a consistent snapshot, each key with its
 *   mod_revision, 0 when absent) -> planCommand (preconditions, generation, finalizers, deletion;
 *   409 / 404 / 422 come out of here exactly as from the embedded store) -> commit: txn
 *   IF every read key still has its mod_revision THEN put / delete -> resourceVersion = the txn's
 *   revision. If a read key changed in between, read and plan again: an unconditional update
 *   lands on the newer object, a conditional one now fails its precondition with 409, a create
 *   now finds the object (409 AlreadyExists) — the same outcomes as k3s' kine, which compares
 *   mod_revision in the txn.
 *
 * The planner's reads are discovered, not assumed: a key it asks for that was not read yet
 * aborts the plan, and the next round reads it too (usually the object and, for a create, its
 * namespace; both are read up front).
 */
import type { Etcd3, IRangeResponse } from 'etcd3';
import { conflict } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { ObjectCommand } from '../store/commands.ts';
import { objectPath, type ResourceRef } from '../store/keys.ts';
import { planCommand, type StoreView, unknownResource } from '../store/planner.ts';
import { policyFor, type ResourcePolicy } from '../store/policy.ts';
import { etcdToApiError } from './etcd-errors.ts';
import { decodeValue, encodeValue, type KeyLayout } from './etcd-keys.ts';

/** Rounds before a write that keeps losing races gives up with 409 (the client retries). */
export const MAX_WRITE_ROUNDS = 32;

interface ReadKey {
  readonly ref: ResourceRef;
  readonly path: string;
  readonly key: string;
}

interface ReadValue {
  readonly object: KubeObject | undefined;
  /** '0' when the key does not exist (etcd compares a missing key as mod_revision 0). */
  readonly modRevision: string;
}

export interface WriteOutcome {
  readonly object: KubeObject;
  readonly removed: boolean;
}

class UnreadKey {
  readonly read: ReadKey;
  constructor(read: ReadKey) {
    this.read = read;
  }
}

/** Applies one command to etcd with the embedded store's semantics; failures are StatusErrors. */
export async function writeToEtcd(
  client: Etcd3,
  layout: KeyLayout,
  command: ObjectCommand,
  requireNamespace: boolean,
): Promise<WriteOutcome> {
  const policy = policyFor(command);
  if (policy === undefined) throw unknownResource(command);
  const reads = new Map<string, ReadKey>();
  for (const r of predictedReads(layout, policy, command, requireNamespace)) reads.set(r.key, r);
  for (let round = 1; round <= MAX_WRITE_ROUNDS; round++) {
    const snapshot = await readKeys(client, [...reads.values()]);
    const view: StoreView = {
      get: (ref, path) => {
        const key = layout.keyOfPath(ref, path);
        const value = snapshot.get(key);
        if (value === undefined) throw new UnreadKey({ ref, path, key });
        return value.object;
      },
    };
    let plan: ReturnType<typeof planCommand>;
    try {
      plan = planCommand(view, command, 0, { requireNamespace });
    } catch (e) {
      if (!(e instanceof UnreadKey)) throw e;
      reads.set(e.read.key, e.read);
      continue;
    }
    if ('status' in plan) throw plan;
    const change = plan.change;
    // A no-op update takes no revision: the answer is the stored object as it is.
    if (change === undefined) return { object: plan.object, removed: false };
    const key = layout.keyOfPath(change, change.path);
    const removed = change.type === 'DELETED';
    // An update that removes the object (its last finalizer cleared) leaves the final state for watchers.
    const finalKey =
      removed && command.op !== 'delete' ? layout.finalStateKey(change, change.path) : undefined;
    let committed: Awaited<ReturnType<Etcd3['kv']['txn']>>;
    try {
      committed = await client.kv.txn({
        compare: [...snapshot].map(([k, v]) => ({
          key: Buffer.from(k),
          target: 'Mod',
          result: 'Equal',
          mod_revision: v.modRevision,
        })),
        success: [
          removed
            ? { request_delete_range: { key: Buffer.from(key) } }
            : { request_put: { key: Buffer.from(key), value: encodeValue(change.object) } },
          ...(finalKey === undefined
            ? []
            : [{ request_put: { key: Buffer.from(finalKey), value: encodeValue(change.object) } }]),
        ],
        failure: [],
      });
    } catch (e) {
      throw etcdToApiError(e, `${command.op} ${policy.resource} "${nameOf(command)}"`);
    }
    if (!committed.succeeded) continue;
    if (finalKey !== undefined) await forgetFinalState(client, finalKey, committed.header.revision);
    const object = structuredClone(plan.object);
    object.metadata.resourceVersion = committed.header.revision;
    return { object, removed };
  }
  throw conflict(
    policy,
    nameOf(command),
    `gave up after ${MAX_WRITE_ROUNDS} rounds of concurrent changes to the same object; please retry`,
  );
}

/**
 * Watchers read the final-state record at the deletion's revision (history keeps it until etcd
 * compacts), so the live key can go at once, unless a later finalization of the same name replaced
 * it. If etcd fails here the write has still happened: a leftover record is harmless (lists never
 * see it, the next finalization of the name replaces it), so it is reported, not returned.
 */
async function forgetFinalState(client: Etcd3, finalKey: string, revision: string): Promise<void> {
  try {
    await client.kv.txn({
      compare: [{ key: Buffer.from(finalKey), target: 'Mod', result: 'Equal', mod_revision: revision }],
      success: [{ request_delete_range: { key: Buffer.from(finalKey) } }],
      failure: [],
    });
  } catch (e) {
    process.emitWarning(
      `could not remove ${finalKey} from etcd (${(e as Error).message}); it is harmless and replaced by the next finalization of that object`,
      { code: 'KEDGE_ETCD_FINAL_STATE' },
    );
  }
}

const nameOf = (c: ObjectCommand): string => (c.op === 'delete' ? c.name : (c.object.metadata.name ?? ''));

/** The object the command addresses and, for a namespaced create, its namespace. */
function predictedReads(
  layout: KeyLayout,
  policy: ResourcePolicy,
  command: ObjectCommand,
  requireNamespace: boolean,
): ReadKey[] {
  const namespace = command.op === 'delete' ? command.namespace : (command.object.metadata.namespace ?? '');
  const path = objectPath(policy.namespaced ? namespace : '', nameOf(command));
  const reads: ReadKey[] = [{ ref: policy, path, key: layout.keyOfPath(policy, path) }];
  if (command.op === 'create' && policy.namespaced && requireNamespace && namespace !== '') {
    const ns = { group: '', resource: 'namespaces' };
    const nsPath = objectPath('', namespace);
    reads.push({ ref: ns, path: nsPath, key: layout.keyOfPath(ns, nsPath) });
  }
  return reads;
}

/** Reads the keys in one read-only txn, so all of them come from the same revision. */
async function readKeys(client: Etcd3, keys: readonly ReadKey[]): Promise<Map<string, ReadValue>> {
  let answer: Awaited<ReturnType<Etcd3['kv']['txn']>>;
  try {
    answer = await client.kv.txn({
      compare: [],
      success: keys.map((k) => ({ request_range: { key: Buffer.from(k.key) } })),
      failure: [],
    });
  } catch (e) {
    throw etcdToApiError(e, 'read the objects a write depends on');
  }
  const out = new Map<string, ReadValue>();
  for (const [i, k] of keys.entries()) {
    const range = answer.responses[i]?.response_range as IRangeResponse | undefined;
    const kv = range?.kvs[0];
    out.set(
      k.key,
      kv === undefined
        ? { object: undefined, modRevision: '0' }
        : { object: decodeValue(kv.value, kv.mod_revision, k.key), modRevision: kv.mod_revision },
    );
  }
  return out;
}
