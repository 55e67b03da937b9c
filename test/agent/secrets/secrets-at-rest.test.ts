/**
 * Secrets are encrypted at rest: on a 3-voter cluster (real agents, real WALs), a Secret created
 * through the API is served in plaintext (GET on every voter, list, watch) while its bytes appear
 * nowhere in the voters' data directories — WAL segments and Raft snapshots included.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessCluster, startInProcessCluster, until } from './in-process-cluster.ts';

const PASSWORD = 'hunter2-plaintext-7f3a9c';
const STRING_VALUE = 'string-data-plaintext-b81e';
const b64 = (s: string) => Buffer.from(s).toString('base64');

let cluster: InProcessCluster;

beforeAll(async () => {
  // A snapshot every 40 entries, so the voters write Raft snapshots during the test.
  cluster = await startInProcessCluster('secrets', { snapshotEntries: 40 });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** The files under `root` whose bytes contain `needle` (raw, or base64 as the API carries it). */
async function filesHolding(root: string, needle: string): Promise<string[]> {
  const forms = [Buffer.from(needle), Buffer.from(b64(needle))];
  const hits: string[] = [];
  for (const file of await filesUnder(root)) {
    const bytes = await readFile(file);
    if (forms.some((f) => bytes.includes(f))) hits.push(path.relative(root, file));
  }
  return hits;
}

describe('Secrets at rest', () => {
  it('are plaintext through the API and ciphertext in every WAL and snapshot', async () => {
    const { call, adminToken } = cluster;
    const watch = cluster.watch(2, adminToken, '/api/v1/namespaces/default/secrets?watch=true');
    try {
      const created = await call(1, adminToken, '/api/v1/namespaces/default/secrets', {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'db', labels: { app: 'db' } },
          type: 'Opaque',
          data: { password: b64(PASSWORD) },
          stringData: { note: STRING_VALUE },
        },
      });
      expect(created.status, created.text).toBe(201);
      expect(created.json.data.password).toBe(b64(PASSWORD));
      expect(created.json.kedgeSealedData).toBeUndefined();

      // Enough further writes for every voter to take a Raft snapshot holding the Secret.
      for (let i = 0; i < 50; i++) {
        const r = await call(i % 3, adminToken, '/api/v1/namespaces/default/configmaps', {
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `filler-${i}` },
            data: { i: String(i) },
          },
        });
        expect(r.status, r.text).toBe(201);
      }

      for (const agent of [0, 1, 2]) {
        const got = await call(agent, adminToken, '/api/v1/namespaces/default/secrets/db');
        expect(got.status, got.text).toBe(200);
        expect(Buffer.from(got.json.data.password, 'base64').toString()).toBe(PASSWORD);
        expect(got.json.stringData).toEqual({ note: STRING_VALUE });
        expect(got.json.kedgeSealedData).toBeUndefined();
      }
      const list = await call(0, adminToken, '/api/v1/namespaces/default/secrets?labelSelector=app%3Ddb');
      expect(list.json.items.map((s: { data: { password: string } }) => s.data.password)).toEqual([
        b64(PASSWORD),
      ]);

      // The watch (opened before the create, on the third voter) delivered plaintext. A leader
      // change closes open watches with an ERROR event; a client then watches again, as here.
      type WatchLine = { type: string; object: { metadata: { name: string }; data?: { password?: string } } };
      const addedIn = (lines: string[]) =>
        lines
          .map((l) => JSON.parse(l) as WatchLine)
          .find((e) => e.type === 'ADDED' && e.object.metadata.name === 'db');
      let added = await until(15_000, async () => addedIn(watch.lines)).catch(() => undefined);
      if (added === undefined) {
        const again = cluster.watch(2, adminToken, '/api/v1/namespaces/default/secrets?watch=true');
        try {
          added = await until(15_000, async () => addedIn(again.lines));
        } finally {
          again.close();
        }
      }
      expect(added.object.data?.password).toBe(b64(PASSWORD));

      // On disk: snapshots exist, and no file anywhere holds the values.
      const files = await filesUnder(cluster.root);
      expect(files.some((f) => /raft/.test(f) && /snap/i.test(path.basename(f)))).toBe(true);
      expect(await filesHolding(cluster.root, PASSWORD)).toEqual([]);
      expect(await filesHolding(cluster.root, STRING_VALUE)).toEqual([]);
      // The check itself can fail: a ConfigMap's value is in the WALs in the clear.
      expect((await filesHolding(cluster.root, 'filler-49')).length).toBeGreaterThan(0);
    } finally {
      watch.close();
    }
  }, 60_000);

  it('an unchanged update takes no new resourceVersion; a changed one is sealed afresh', async () => {
    const { call, adminToken } = cluster;
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'api-key' },
      data: { key: b64('first-value-5d2c') },
    };
    const created = await call(0, adminToken, '/api/v1/namespaces/default/secrets', { body });
    expect(created.status, created.text).toBe(201);
    const rv = created.json.metadata.resourceVersion as string;
    const same = await call(1, adminToken, '/api/v1/namespaces/default/secrets/api-key', {
      method: 'PUT',
      body: { ...body, metadata: { ...body.metadata, resourceVersion: rv } },
    });
    expect(same.status, same.text).toBe(200);
    expect(same.json.metadata.resourceVersion).toBe(rv);

    const changed = await call(2, adminToken, '/api/v1/namespaces/default/secrets/api-key', {
      method: 'PUT',
      body: {
        ...body,
        metadata: { ...body.metadata, resourceVersion: rv },
        data: { key: b64('second-value-91ab') },
      },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(Number(changed.json.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    const got = await call(0, adminToken, '/api/v1/namespaces/default/secrets/api-key');
    expect(Buffer.from(got.json.data.key, 'base64').toString()).toBe('second-value-91ab');
    expect(await filesHolding(cluster.root, 'second-value-91ab')).toEqual([]);
  }, 30_000);
});
