/**
 * The store's semantics through the ObjectBackend of a 3-voter in-process cluster (memory
 * transport, real WALs): writes on any voter, linearizable reads on every voter, watches resumed
 * on another voter, and 503 (never a wrong answer) when there is no quorum.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatusError } from '../../../agent/src/api/errors.ts';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { WatchEvent } from '../../../agent/src/apiserver/backend.ts';
import {
  type MemoryVoters,
  startMemoryVoters,
  type MemoryVoter as Voter,
} from '../../support/memory-voters.ts';

const PODS = { group: '', resource: 'pods' };
const CONFIGMAPS = { group: '', resource: 'configmaps' };
const NAMESPACES = { group: '', resource: 'namespaces' };
const TS = '2026-01-01T00:00:00Z';

let cluster: MemoryVoters;
let voters: readonly Voter[];
let uid = 0;

const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels },
  data,
});

async function create(v: Voter, object: KubeObject, ref = CONFIGMAPS): Promise<KubeObject> {
  return v.backend.create({ op: 'create', ...ref, object, uid: `uid-${++uid}`, creationTimestamp: TS });
}

const waitForLeader = () => cluster.waitForLeader();

async function caught(error: Promise<unknown>): Promise<StatusError> {
  const e = await error.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof StatusError)) throw new Error(`expected a StatusError, got ${String(e)}`);
  return e;
}

beforeEach(async () => {
  cluster = await startMemoryVoters();
  voters = cluster.voters;
  const leader = await waitForLeader();
  await create(leader, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, NAMESPACES);
});

afterEach(() => cluster.close());

describe('the object store through a 3-voter cluster', () => {
  it('a create on a follower is read back on every voter with the same resourceVersion', async () => {
    const leader = await waitForLeader();
    const follower = voters.find((v) => v !== leader)!;
    const created = await create(follower, configMap('a', { k: 'v' }));
    expect(created.metadata.uid).toBe(`uid-${uid}`);
    for (const v of voters) {
      const got = await v.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'a' });
      expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      expect((got as unknown as { data: Record<string, string> }).data).toEqual({ k: 'v' });
    }
  });

  it('a second create of the same name is AlreadyExists; a stale update is Conflict; delete removes', async () => {
    const [a, b, c] = voters as [Voter, Voter, Voter];
    const first = await create(a, configMap('x', { n: '1' }));
    expect((await caught(create(b, configMap('x', { n: '2' })))).reason).toBe('AlreadyExists');

    const update = (v: Voter, n: string, resourceVersion: string) =>
      v.backend.update({
        op: 'update',
        ...CONFIGMAPS,
        object: { ...configMap('x', { n }), metadata: { ...configMap('x', {}).metadata, resourceVersion } },
        preconditions: { resourceVersion },
      });
    const updated = await update(b, '2', first.metadata.resourceVersion!);
    const stale = await caught(update(c, '3', first.metadata.resourceVersion!));
    expect(stale.reason).toBe('Conflict');
    expect(stale.code).toBe(409);
    const current = await c.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'x' });
    expect(current.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);

    const removed = await c.backend.delete({
      op: 'delete',
      ...CONFIGMAPS,
      namespace: 'default',
      name: 'x',
      deletionTimestamp: TS,
    });
    expect(removed.removed).toBe(true);
    const gone = await caught(a.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'x' }));
    expect(gone.reason).toBe('NotFound');
  });

  it('lists with label selectors and paging agree on every voter', async () => {
    const leader = await waitForLeader();
    for (let i = 0; i < 5; i++)
      await create(leader, configMap(`cm-${i}`, {}, { tier: i % 2 ? 'odd' : 'even' }));
    for (const v of voters) {
      const even = await v.backend.list(CONFIGMAPS, { namespace: 'default', labelSelector: 'tier=even' });
      expect(even.items.map((o) => o.metadata.name)).toEqual(['cm-0', 'cm-2', 'cm-4']);
      const page = await v.backend.list(CONFIGMAPS, { namespace: 'default', limit: 2 });
      expect(page.items).toHaveLength(2);
      const rest = await v.backend.list(CONFIGMAPS, {
        namespace: 'default',
        continue: page.metadata.continue!,
      });
      expect(rest.items.map((o) => o.metadata.name)).toEqual(['cm-2', 'cm-3', 'cm-4']);
    }
  });

  it('a watch resumed on another voter from the last seen revision misses nothing and repeats nothing', async () => {
    const [a, b, c] = voters as [Voter, Voter, Voter];
    const list = await a.backend.list(CONFIGMAPS, { namespace: 'default' });
    const seenOnA: WatchEvent[] = [];
    const onA = await a.backend.watch(
      CONFIGMAPS,
      { namespace: 'default', resourceVersion: list.metadata.resourceVersion!, allowBookmarks: false },
      (e) => seenOnA.push(e),
    );
    await create(b, configMap('w1', {}));
    await create(c, configMap('w2', {}));
    await expect.poll(() => seenOnA.length).toBe(2);
    onA.stop();
    const last = String(seenOnA[1]!.revision);
    await create(a, configMap('w3', {}));
    await b.backend.delete({
      op: 'delete',
      ...CONFIGMAPS,
      namespace: 'default',
      name: 'w1',
      deletionTimestamp: TS,
    });

    const seenOnC: WatchEvent[] = [];
    const onC = await c.backend.watch(
      CONFIGMAPS,
      { namespace: 'default', resourceVersion: last, allowBookmarks: false },
      (e) => seenOnC.push(e),
    );
    await expect
      .poll(() => seenOnC.map((e) => `${e.type}:${(e.object as KubeObject).metadata.name}`))
      .toEqual(['ADDED:w3', 'DELETED:w1']);
    expect(seenOnC[0]!.revision).toBe(Number(last) + 1);
    onC.stop();
  });

  it('a write that got an answer survives the loss of the leader, and a pod write works on the new leader', async () => {
    const old = await waitForLeader();
    const acknowledged = await create(old, configMap('durable', { v: '1' }));
    cluster.network.crash(old.id);
    await cluster.stop(old);
    const next = await waitForLeader();
    expect(next.id).not.toBe(old.id);
    const got = await next.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'durable' });
    expect(got.metadata.resourceVersion).toBe(acknowledged.metadata.resourceVersion);
    const pod = await create(
      next,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      } as KubeObject,
      PODS,
    );
    expect(pod.metadata.name).toBe('p');
  });

  it('without a quorum, reads and writes answer 503 with Retry-After instead of stale data', async () => {
    const leader = await waitForLeader();
    await create(leader, configMap('before', {}));
    const follower = voters.find((v) => v !== leader)!;
    cluster.network.isolate(follower.id);
    const read = await caught(follower.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'before' }));
    expect(read.code).toBe(503);
    expect(read.status.details?.retryAfterSeconds).toBeGreaterThan(0);
    const write = await caught(create(follower, configMap('during', {})));
    expect(write.code).toBe(503);
    cluster.network.heal();
    await waitForLeader();
    const after = await caught(leader.backend.get({ ...CONFIGMAPS, namespace: 'default', name: 'during' }));
    // The isolated follower's write never reached a leader: it is absent, not half-applied.
    expect(after.reason).toBe('NotFound');
  });
});
