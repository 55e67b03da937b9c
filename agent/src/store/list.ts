/**
 * Lists with paging. A continue token names the revision of the first page and the last path
 * returned, so every page reads the store as it was at that revision: changes made between pages
 * are undone from the event history. If the history no longer reaches back that far the token has
 * expired (410), exactly Kubernetes' behaviour once etcd has compacted that revision.
 */
import { badRequest, expired, type StatusError, timeout } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { EventHistory } from './history.ts';
import { namespaceRange, pathOf } from './keys.ts';
import type { ResourcePolicy } from './policy.ts';
import { lowerBound, type ResourceBucket } from './resource-bucket.ts';
import { compileSelection, type SelectionOptions, selects, selectsAll } from './selection.ts';

export interface ListOptions extends SelectionOptions {
  /** At most this many items; 0 or absent means all. */
  readonly limit?: number;
  readonly continue?: string;
  /** With resourceVersionMatch 'Exact', the revision to read at; otherwise the store reads its latest state. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

interface ContinueToken {
  readonly v: 'meta.k8s.io/v1';
  readonly rv: number;
  /** The first path of the next page: the last path returned plus "\0". */
  readonly start: string;
}

export function encodeContinue(rv: number, lastPath: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: `${lastPath}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken | StatusError {
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (e) {
    return badRequest(`continue key is not valid: ${(e as Error).message}; start a new list without it`);
  }
  const t = token as Partial<ContinueToken> | null;
  if (
    t?.v !== 'meta.k8s.io/v1' ||
    typeof t.rv !== 'number' ||
    !Number.isInteger(t.rv) ||
    t.rv < 1 ||
    typeof t.start !== 'string'
  )
    return badRequest('continue key is not valid: incorrect encoding; start a new list without it');
  return t as ContinueToken;
}

export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

export interface ListSource {
  readonly revision: number;
  readonly history: EventHistory;
  bucket(policy: ResourcePolicy): ResourceBucket | undefined;
}

export function listObjects(src: ListSource, policy: ResourcePolicy, o: ListOptions): KubeList | StatusError {
  const selection = compileSelection(policy, o);
  if ('status' in selection) return selection;
  const limit = o.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0)
    return badRequest(`limit must be a non-negative integer, got ${limit}`);

  let readRevision = src.revision;
  let start = '';
  if (o.continue !== undefined && o.continue !== '') {
    const token = decodeContinue(o.continue);
    if ('status' in token) return token;
    if (token.rv > src.revision)
      return badRequest('continue key is not valid: its revision is in the future');
    if (!src.history.covers(token.rv)) return expired(CONTINUE_EXPIRED);
    readRevision = token.rv;
    start = token.start;
  } else if (o.resourceVersionMatch === 'Exact') {
    const rv = Number(o.resourceVersion);
    if (!Number.isInteger(rv) || rv < 1)
      return badRequest(`invalid resource version: "${o.resourceVersion ?? ''}"`);
    if (rv > src.revision) return timeout(`Too large resource version: ${rv}, current: ${src.revision}`, 1);
    if (!src.history.covers(rv))
      return expired(`too old resource version: ${rv} (${src.history.compactedRevision})`);
    readRevision = rv;
  }

  const [lo, hi] = selection.namespace === undefined ? ['', '\uffff'] : namespaceRange(selection.namespace);
  const from = start > lo ? start : lo;
  const bucket = src.bucket(policy);
  const overrides = readRevision < src.revision ? undoneSince(src.history, policy, readRevision) : undefined;
  const items: KubeObject[] = [];
  let lastPath = '';
  let more = false;
  for (const [path, obj] of scan(bucket, overrides, from, hi)) {
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    if (selects(selection, obj)) {
      items.push(obj);
      lastPath = path;
    }
  }
  const list: KubeList = {
    apiVersion: policy.apiVersion,
    kind: policy.listKind,
    metadata: { resourceVersion: String(readRevision) },
    items,
  };
  if (more) {
    list.metadata.continue = encodeContinue(readRevision, lastPath);
    if (overrides === undefined && selectsAll(selection) && bucket !== undefined)
      list.metadata.remainingItemCount =
        lowerBound(bucket.paths, hi) - lowerBound(bucket.paths, `${lastPath}\u0000`);
  }
  return list;
}

/** For each path changed after `revision`, its state at `revision` (undefined: it did not exist). */
function undoneSince(
  history: EventHistory,
  policy: ResourcePolicy,
  revision: number,
): Map<string, KubeObject | undefined> {
  const before = new Map<string, KubeObject | undefined>();
  for (const e of history.after(revision)) {
    if (e.group !== policy.group || e.resource !== policy.resource) continue;
    const path = pathOf(e.object);
    if (!before.has(path)) before.set(path, e.prevObject);
  }
  return before;
}

/** Paths in [from, to) in order, with their objects as of the read revision. */
function* scan(
  bucket: ResourceBucket | undefined,
  overrides: Map<string, KubeObject | undefined> | undefined,
  from: string,
  to: string,
): Generator<[string, KubeObject]> {
  const live = bucket?.paths ?? [];
  let i = lowerBound(live, from);
  const end = lowerBound(live, to);
  // Objects that existed at the read revision but have been deleted since.
  const gone =
    overrides === undefined
      ? []
      : [...overrides.keys()].filter((p) => p >= from && p < to && !bucket?.objects.has(p)).sort();
  let j = 0;
  while (i < end || j < gone.length) {
    const a = i < end ? live[i] : undefined;
    const b = gone[j];
    let path: string;
    if (b === undefined || (a !== undefined && a < b)) {
      path = a ?? '';
      i++;
    } else {
      path = b;
      j++;
    }
    const obj = overrides?.has(path) ? overrides.get(path) : bucket?.objects.get(path);
    if (obj !== undefined) yield [path, obj];
  }
}
