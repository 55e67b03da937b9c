// The backend contract against a real etcd (Debian's etcd-server), plus what only etcd can do wrong.

import path from 'node:path';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, datastoreArgs, parseDatastore } from '../../../agent/src/store-etcd/datastore.ts';
import { EtcdBackend } from '../../../agent/src/store-etcd/etcd-backend.ts';
import { createCmd, describeBackendContract, NAMESPACES, PODS, pod } from './backend-contract.ts';
import { ETCD_BINARY, type EtcdProcess, etcdAvailable, startEtcd } from './etcd-process.ts';

const available = etcdAvailable();
if (!available)
  console.warn(
    `SKIPPED: the etcd backend tests need ${ETCD_BINARY} (apt-get install -y etcd-server, or set KEDGE_ETCD)`,
  );

let etcd: EtcdProcess | undefined;
let client: Etcd3 | undefined;
let prefixes = 0;

beforeAll(async () => {
  if (!available) return;
  etcd = await startEtcd();
  const config = parseDatastore(`etcd://${etcd.hostPort}`);
  if (config instanceof Error) throw config;
  client = connectEtcd(config);
}, 20_000);

afterAll(async () => {
  client?.close();
  await etcd?.stop();
});

function shared(): Etcd3 {
  if (client === undefined) throw new Error('etcd did not start');
  return client;
}

async function compactNow(c: Etcd3): Promise<void> {
  const head = await c.kv.range({ key: Buffer.from('/') });
  await c.kv.compact({ revision: head.header.revision });
}

describe.skipIf(!available)('etcd backend', () => {
  describeBackendContract('etcd', async () => {
    const c = shared();
    prefixes++;
    // Each test gets its own key prefix on the one etcd: an empty store without a restart.
    return {
      backend: new EtcdBackend(c, { keyPrefix: `/t${prefixes}` }),
      forgetHistory: () => compactNow(c),
      close: async () => {},
    };
  });

  it('stores objects under /<prefix>/<group>/<resource>/<namespace>/<name> without their resourceVersion', async () => {
    const c = shared();
    const backend = new EtcdBackend(c, { keyPrefix: '/layout' });
    await backend.create(createCmd(NAMESPACES, { metadata: { name: 'default' } }));
    const p = await backend.create(createCmd(PODS, pod('a')));
    const stored = await c.get('/layout/core/pods/default/a').json();
    expect(stored).toMatchObject({ metadata: { name: 'a', uid: p.metadata.uid } });
    expect((stored as { metadata: Record<string, unknown> }).metadata.resourceVersion).toBeUndefined();
    expect(await c.get('/layout/core/namespaces/default').exists()).toBe(true);
    const raw = await c.kv.range({ key: Buffer.from('/layout/core/pods/default/a') });
    expect(raw.kvs[0]?.mod_revision).toBe(p.metadata.resourceVersion);
  });

  it('leaves no final-state record behind once an update cleared the last finalizer', async () => {
    const c = shared();
    const backend = new EtcdBackend(c, { keyPrefix: '/final' });
    await backend.create(createCmd(NAMESPACES, { metadata: { name: 'default' } }));
    await backend.create(
      createCmd(PODS, { ...pod('f'), metadata: { name: 'f', namespace: 'default', finalizers: ['x/y'] } }),
    );
    const marked = await backend.delete({
      op: 'delete',
      ...PODS,
      namespace: 'default',
      name: 'f',
      deletionTimestamp: '2026-01-01T00:01:00Z',
      gracePeriodSeconds: 0,
    });
    const cleared = structuredClone(marked.object);
    cleared.metadata.finalizers = [];
    const last = await backend.update({ op: 'update', ...PODS, object: cleared });
    expect((await c.getAll().prefix('/final/').keys()).sort()).toEqual(['/final/core/namespaces/default']);
    // History still holds it at the deletion's revision, where watchers read it.
    const then = await c.kv.range({
      key: Buffer.from('/final/_final/core/pods/default/f'),
      revision: last.metadata.resourceVersion,
    });
    expect(then.kvs[0]?.mod_revision).toBe(last.metadata.resourceVersion);
  });

  it('answers 503 ServiceUnavailable, naming the datastore, when etcd cannot be reached', async () => {
    const config = parseDatastore('etcd://127.0.0.1:1');
    if (config instanceof Error) throw config;
    const down = connectEtcd(config);
    try {
      const backend = new EtcdBackend(down);
      const started = Date.now();
      await expect(backend.get({ ...PODS, namespace: 'default', name: 'a' })).rejects.toMatchObject({
        status: { reason: 'ServiceUnavailable', code: 503, message: expect.stringContaining('--datastore') },
      });
      await expect(backend.create(createCmd(PODS, pod('a')))).rejects.toMatchObject({
        status: { code: 503 },
      });
      expect(Date.now() - started).toBeLessThan(12_000);
    } finally {
      down.close();
    }
  }, 20_000);
});

describe('--datastore addresses', () => {
  it('turns kedge up --datastore into the same flags for every agent, absolute paths, checked first', () => {
    expect(datastoreArgs({ address: 'etcd://127.0.0.1:2379/edge' })).toEqual([
      '--datastore',
      'etcd://127.0.0.1:2379/edge',
    ]);
    expect(
      datastoreArgs({ address: 'etcds://127.0.0.1:2379', ca: 'pki/ca.pem', cert: '/c.pem', key: '/k.pem' }),
    ).toEqual([
      '--datastore',
      'etcds://127.0.0.1:2379',
      '--datastore-ca',
      path.resolve('pki/ca.pem'),
      '--datastore-cert',
      '/c.pem',
      '--datastore-key',
      '/k.pem',
    ]);
    expect(datastoreArgs({ address: 'etcds://127.0.0.1:2379' })).toMatchObject({
      kind: 'Invalid',
      message: expect.stringContaining('--datastore-ca'),
    });
  });

  it('reads endpoints, TLS and the key prefix, and says what to write when it cannot', () => {
    expect(parseDatastore('etcd://10.0.0.5:2379,10.0.0.6:2379')).toEqual({
      endpoints: ['http://10.0.0.5:2379', 'http://10.0.0.6:2379'],
      keyPrefix: '/kedge',
    });
    expect(
      parseDatastore('etcds://etcd.local:2379/edge-a/', { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' }),
    ).toEqual({
      endpoints: ['https://etcd.local:2379'],
      keyPrefix: '/edge-a',
      tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' },
    });
    expect(parseDatastore('http://x:1')).toMatchObject({
      kind: 'Invalid',
      message: expect.stringContaining('etcd://host:port'),
    });
    expect(parseDatastore('etcd://x')).toMatchObject({ message: expect.stringContaining('not host:port') });
    expect(parseDatastore('etcd://x:1', { ca: '/ca' })).toMatchObject({
      message: expect.stringContaining('etcds://'),
    });
    expect(parseDatastore('etcds://x:1')).toMatchObject({
      message: expect.stringContaining('--datastore-ca'),
    });
    expect(parseDatastore('etcds://x:1', { ca: '/a', cert: '/c' })).toMatchObject({
      message: expect.stringContaining('go together'),
    });
  });
});
