// Watches over an etcd that goes away mid-stream: the API watch must end (ERROR 503) so clients
// watch again, never stay silent; a watch again from a revision etcd compacted meanwhile gets 410.
import type { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/index.ts';
import type { WatchEvent } from '../../../agent/src/apiserver/backend.ts';
import { connectEtcd, parseDatastore } from '../../../agent/src/store-etcd/datastore.ts';
import { EtcdBackend } from '../../../agent/src/store-etcd/etcd-backend.ts';
import { createCmd, NAMESPACES, PODS, pod } from './backend-contract.ts';
import { type EtcdProcess, etcdAvailable, startEtcd } from './etcd-process.ts';

// etcd refuses pings more often than every 5 s; a frozen etcd is then noticed within ~8 s.
const KEEPALIVE = { intervalMs: 6_000, timeoutMs: 2_000 };

let etcd: EtcdProcess | undefined;
let client: Etcd3 | undefined;

afterEach(async () => {
  client?.close();
  await etcd?.stop();
  client = undefined;
  etcd = undefined;
});

async function open(): Promise<EtcdBackend> {
  etcd = await startEtcd();
  const config = parseDatastore(`etcd://${etcd.hostPort}`);
  if (config instanceof Error) throw config;
  client = connectEtcd(config, KEEPALIVE);
  const backend = new EtcdBackend(client);
  await backend.create(createCmd(NAMESPACES, { metadata: { name: 'default' } }));
  return backend;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lastRevision = (events: readonly WatchEvent[]) =>
  String(events.filter((e) => e.type !== 'ERROR').at(-1)?.revision);
const errorOf = (events: readonly WatchEvent[]) =>
  events.find((e) => e.type === 'ERROR')?.object as
    | { code: number; reason: string; message: string }
    | undefined;

describe.skipIf(!etcdAvailable())('etcd watches when etcd goes away', () => {
  it('ends a watch with ERROR 503 when etcd dies, and a watch from the last revision resumes after the restart', async () => {
    const backend = await open();
    const events: WatchEvent[] = [];
    await backend.watch(PODS, { allowBookmarks: false }, (e) => events.push(e));
    await backend.create(createCmd(PODS, pod('before')));
    await eventually('ADDED before', async () => (events.length === 1 ? true : undefined), 5_000);
    const killedAt = Date.now();
    await etcd!.restart();
    const error = await eventually('the watch to end', async () => errorOf(events), 10_000);
    expect(error).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(error.message).toContain('watch again');
    console.log(`etcd killed: the watch ended after ${Date.now() - killedAt} ms (restart included)`);
    // What a client does next: watch again from the last resourceVersion it saw.
    const resumed: WatchEvent[] = [];
    const stream = await eventually(
      'a new watch',
      () =>
        backend.watch(PODS, { resourceVersion: lastRevision(events), allowBookmarks: false }, (e) =>
          resumed.push(e),
        ),
      15_000,
    );
    await eventually(
      'a write after the restart',
      () => backend.create(createCmd(PODS, pod('after'))),
      10_000,
    );
    await eventually('ADDED after', async () => (resumed.length === 1 ? true : undefined), 5_000);
    expect(resumed.map((e) => `${e.type}:${(e.object as KubeObject).metadata.name}`)).toEqual([
      'ADDED:after',
    ]);
    stream.stop();
  }, 60_000);

  it('ends a watch on a frozen etcd (SIGSTOP) through keepalive; once etcd compacted past it, watching again is 410', async () => {
    const backend = await open();
    const events: WatchEvent[] = [];
    await backend.watch(PODS, { allowBookmarks: false }, (e) => events.push(e));
    await backend.create(createCmd(PODS, pod('a')));
    await eventually('ADDED a', async () => (events.length === 1 ? true : undefined), 5_000);
    const pausedAt = Date.now();
    etcd!.pause();
    let ended: number;
    try {
      await eventually('the watch to end', async () => errorOf(events), 15_000);
      ended = Date.now() - pausedAt;
    } finally {
      etcd!.resume();
    }
    expect(errorOf(events)).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(ended).toBeLessThanOrEqual(KEEPALIVE.intervalMs + KEEPALIVE.timeoutMs + 2_000);
    console.log(`etcd frozen: the watch ended after ${ended} ms`);
    // Meanwhile etcd moved on and compacted: the client's next watch is told to list again.
    await eventually('a write after the pause', () => backend.create(createCmd(PODS, pod('b'))), 15_000);
    const head = await client!.kv.range({ key: Buffer.from('/') });
    await client!.kv.compact({ revision: head.header.revision });
    await expect(
      backend.watch(PODS, { resourceVersion: lastRevision(events), allowBookmarks: false }, () => {}),
    ).rejects.toMatchObject({ status: { code: 410, reason: 'Expired' } });
  }, 60_000);
});
