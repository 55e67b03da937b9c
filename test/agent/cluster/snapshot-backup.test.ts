/**
 * `kedge snapshot save` / `restore` round trip on a real (one-voter, no workloads) agent: the
 * objects come back in a NEW cluster (new id, new CA), resourceVersions keep growing, and a
 * damaged file is refused.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../../agent/src/cluster/agent.ts';
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import { initCluster } from '../../../agent/src/cluster/init.ts';
import { saveSnapshot } from '../../../agent/src/cluster/snapshot-backup.ts';
import { decodeSnapshotFile, SnapshotFileError } from '../../../agent/src/cluster/snapshot-file.ts';
import { restoreSnapshot } from '../../../agent/src/cluster/snapshot-restore.ts';
import { silentLogger } from '../../../consensus/src/node/logger.ts';

const dirs: string[] = [];
const agents: RunningAgent[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A port nothing listens on now (the kernel picks it), so parallel suites never collide. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    const v = await probe().catch((error: unknown) => {
      last = (error as Error).message;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last error: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('snapshot save and restore', () => {
  it('brings the objects back in a new cluster and resourceVersions continue upwards', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'kedge-snap-'));
    dirs.push(root);
    const first = await initCluster({
      dataDir: path.join(root, 'a'),
      apiPort: await freePort(),
      raftPort: await freePort(),
      voters: 1,
    });
    const a = await startAgent({ dataDir: path.join(root, 'a'), workloads: false, logger: silentLogger });
    agents.push(a);
    const caA = await readFile(path.join(root, 'a', 'pki', 'ca.crt'), 'utf8');
    const call = (address: string, ca: string, token: string, p: string, body?: unknown) =>
      callAgent(address, p, { ca, token, timeoutMs: 3000, ...(body ? { body } : {}) });
    // The founder leads and has made the default namespace.
    await until(20_000, async () => {
      const r = await call(a.apiAddress, caA, first.adminToken, '/api/v1/namespaces/default');
      if (r.status !== 200) throw new Error(`namespace default: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      return true;
    });
    const created: Record<string, number> = {};
    const objects: [string, unknown][] = [
      [
        '/api/v1/namespaces/default/configmaps',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { k: 'v' } },
      ],
      [
        '/api/v1/namespaces/default/secrets',
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw' }, data: { p: 'cHc=' } },
      ],
      [
        '/apis/apps/v1/namespaces/default/deployments',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'busybox' }] },
            },
          },
        },
      ],
    ];
    for (const [p, body] of objects) {
      const r = await call(a.apiAddress, caA, first.adminToken, p, body);
      expect(r.status, r.text).toBe(201);
      created[p] = Number(r.json.metadata.resourceVersion);
    }
    const lastBefore = Math.max(...Object.values(created));

    const file = path.join(root, 'backup.snap');
    const header = await saveSnapshot({ address: a.apiAddress, caPem: caA, token: first.adminToken, file });
    expect(header.clusterId).toBe(first.clusterId);
    expect(header.revision).toBeGreaterThanOrEqual(lastBefore);
    await a.stop();
    agents.pop();

    // A damaged copy is refused before anything is written.
    const bytes = await readFile(file);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 5] = damaged[damaged.length - 5]! ^ 0xff;
    expect(decodeSnapshotFile(damaged)).toBeInstanceOf(SnapshotFileError);
    await writeFile(path.join(root, 'damaged.snap'), damaged);
    await expect(
      restoreSnapshot({ file: path.join(root, 'damaged.snap'), dataDir: path.join(root, 'x') }),
    ).rejects.toThrow(/checksum/);

    // Secrets are encrypted with the old cluster's key, which the file does not carry.
    await expect(restoreSnapshot({ file, dataDir: path.join(root, 'y') })).rejects.toThrow(/--cluster-key/);
    const restored = await restoreSnapshot({
      file,
      clusterKeyFile: path.join(root, 'a', 'cluster-key.json'),
      dataDir: path.join(root, 'b'),
      apiPort: await freePort(),
      raftPort: await freePort(),
    });
    expect(restored.clusterId).not.toBe(first.clusterId);
    expect(restored.objects).toBeGreaterThanOrEqual(3);
    const b = await startAgent({ dataDir: path.join(root, 'b'), workloads: false, logger: silentLogger });
    agents.push(b);
    const caB = await readFile(path.join(root, 'b', 'pki', 'ca.crt'), 'utf8');
    expect(caB).not.toBe(caA);
    for (const [p, body] of objects) {
      const name = (body as { metadata: { name: string } }).metadata.name;
      const r = await until(20_000, async () => {
        const got = await call(b.apiAddress, caB, restored.adminToken, `${p}/${name}`);
        if (got.status !== 200) throw new Error(`${p}/${name}: HTTP ${got.status} ${got.text.slice(0, 200)}`);
        return got;
      });
      expect(Number(r.json.metadata.resourceVersion)).toBe(created[p]);
    }
    // The old admin token is one of the restored users too.
    const old = await call(b.apiAddress, caB, first.adminToken, '/api/v1/namespaces/default/configmaps/cfg');
    expect(old.status).toBe(200);
    const next = await call(b.apiAddress, caB, restored.adminToken, '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'after-restore' },
    });
    expect(next.status, next.text).toBe(201);
    expect(Number(next.json.metadata.resourceVersion)).toBeGreaterThan(header.revision);
    const status = await callAgent(b.apiAddress, '/kedge/v1/cluster', {
      ca: caB,
      token: restored.adminToken,
    });
    expect(status.json.clusterId).toBe(restored.clusterId);
    expect(status.json.members).toHaveLength(1);
  }, 60_000);
});
