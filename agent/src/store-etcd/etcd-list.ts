/**
 * Lists over etcd ranges with Kubernetes' paging. The first page reads at etcd's current revision
 * and its continue token (the embedded store's format: revision + next path) makes every later
 * page read the range *at that revision*, so pages stay consistent across writes in between. Once
 * etcd has compacted that revision the token has expired (410), as in Kubernetes.
 *
 *   [range start (or token path), range end) at revision R, fetched in chunks of CHUNK keys
 *   -> decode, keep what the selection selects -> stop at `limit` items once another key exists
 */
import type { Etcd3 } from 'etcd3';
import { badRequest, expired, timeout } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import { pathOf } from '../store/keys.ts';
import { CONTINUE_EXPIRED, decodeContinue, encodeContinue, type ListOptions } from '../store/list.ts';
import type { ResourcePolicy } from '../store/policy.ts';
import { compileSelection, type Selection, selects, selectsAll } from '../store/selection.ts';
import { etcdToApiError, isCompacted } from './etcd-errors.ts';
import { decodeValue, type KeyLayout, type KeyRange } from './etcd-keys.ts';

/** Keys per etcd range call: keeps each answer well under gRPC's 4 MiB message limit. */
export const CHUNK = 500;

const FUTURE = 'required revision is a future revision';

export async function listFromEtcd(
  client: Etcd3,
  layout: KeyLayout,
  policy: ResourcePolicy,
  o: ListOptions,
): Promise<KubeList> {
  const selection = compileSelection(policy, o);
  if ('status' in selection) throw selection;
  const limit = o.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0)
    throw badRequest(`limit must be a non-negative integer, got ${limit}`);
  const range = layout.range(policy, selection.namespace);
  let revision: number | undefined;
  let from = range.start;
  let onCompacted = CONTINUE_EXPIRED;
  let onFuture = 'continue key is not valid: its revision is in the future';
  if (o.continue !== undefined && o.continue !== '') {
    const token = decodeContinue(o.continue);
    if ('status' in token) throw token;
    revision = token.rv;
    const start = layout.keyOfPath(policy, token.start);
    if (start > from) from = start;
  } else if (o.resourceVersionMatch === 'Exact') {
    const rv = Number(o.resourceVersion);
    if (!Number.isInteger(rv) || rv < 1)
      throw badRequest(`invalid resource version: "${o.resourceVersion ?? ''}"`);
    revision = rv;
    onCompacted = `too old resource version: ${rv} (compacted)`;
    onFuture = `Too large resource version: ${rv}`;
  }
  try {
    return await scanRange(client, policy, selection, { ...range, start: from }, revision, limit);
  } catch (e) {
    if (isCompacted(e)) throw expired(onCompacted);
    if (e instanceof Error && e.message.includes(FUTURE))
      throw o.continue ? badRequest(onFuture) : timeout(onFuture, 1);
    throw etcdToApiError(e, `list ${policy.resource}`);
  }
}

async function scanRange(
  client: Etcd3,
  policy: ResourcePolicy,
  selection: Selection,
  range: KeyRange,
  atRevision: number | undefined,
  limit: number,
): Promise<KubeList> {
  let revision = atRevision;
  let from = range.start;
  const items: KubeObject[] = [];
  let lastPath = '';
  let remaining: number | undefined;
  let more = false;
  scan: for (;;) {
    const chunk = limit > 0 && selectsAll(selection) ? Math.min(CHUNK, limit - items.length + 1) : CHUNK;
    const answer = await client.kv.range({
      key: Buffer.from(from),
      range_end: Buffer.from(range.end),
      limit: chunk,
      ...(revision === undefined ? {} : { revision }),
    });
    revision ??= Number(answer.header.revision);
    for (const [i, kv] of answer.kvs.entries()) {
      if (limit > 0 && items.length === limit) {
        more = true;
        // etcd counts every key of the range from `from`, not only the ones returned.
        remaining = Number(answer.count) - i;
        break scan;
      }
      const key = kv.key.toString('utf8');
      const object = decodeValue(kv.value, kv.mod_revision, key);
      if (selects(selection, object)) {
        items.push(object);
        lastPath = pathOf(object);
      }
    }
    const last = answer.kvs.at(-1);
    if (!answer.more || last === undefined) break;
    from = `${last.key.toString('utf8')}\u0000`;
  }
  const list: KubeList = {
    apiVersion: policy.apiVersion,
    kind: policy.listKind,
    metadata: { resourceVersion: String(revision) },
    items,
  };
  if (more) {
    list.metadata.continue = encodeContinue(revision, lastPath);
    if (selectsAll(selection) && remaining !== undefined) list.metadata.remainingItemCount = remaining;
  }
  return list;
}
