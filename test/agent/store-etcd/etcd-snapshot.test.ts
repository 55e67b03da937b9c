// `kedge snapshot save` on an agent whose objects live in etcd: Raft holds no objects there, so the
// save is refused with the etcdctl command to run instead, and no file (not even FILE.part) is left.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../../agent/src/cluster/agent.ts';
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import { initCluster } from '../../../agent/src/cluster/init.ts';
import { saveSnapshot } from '../../../agent/src/cluster/snapshot-backup.ts';
import { connectEtcd, parseDatastore } from '../../../agent/src/store-etcd/datastore.ts';
import { silentLogger } from '../../../consensus/src/node/logger.ts';
import { type EtcdProcess, etcdAvailable, startEtcd } from './etcd-process.ts';

let etcd: EtcdProcess | undefined;
let agent: RunningAgent | undefined;
let root = '';

afterAll(async () => {
  await agent?.stop();
  await etcd?.stop();
  if (root !== '') await rm(root, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!etcdAvailable())('kedge snapshot save with an external datastore', () => {
  it('refuses and names etcdctl snapshot save with the datastore endpoints', async () => {
    etcd = await startEtcd();
    root = await mkdtemp(path.join(tmpdir(), 'kedge-etcd-snap-'));
    const dataDir = path.join(root, 'a');
    const init = await initCluster({
      dataDir,
      apiPort: await freePort(),
      raftPort: await freePort(),
      voters: 1,
    });
    const datastore = parseDatastore(`etcd://${etcd.hostPort}/snap`);
    if (datastore instanceof Error) throw datastore;
    agent = await startAgent({ dataDir, workloads: false, logger: silentLogger, datastore });
    const caPem = await readFile(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
    const admin = { ca: caPem, token: init.adminToken, timeoutMs: 3000 };
    // Leading, and its objects are in etcd: the default namespace went there, not into Raft.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await callAgent(agent.apiAddress, '/api/v1/namespaces/default', admin).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`no default namespace: ${r?.status} ${r?.text.slice(0, 200)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const client = connectEtcd(datastore);
    try {
      expect(await client.get('/snap/core/namespaces/default').exists()).toBe(true);
    } finally {
      client.close();
    }
    const file = path.join(root, 'backup.snap');
    await expect(
      saveSnapshot({ address: agent.apiAddress, caPem, token: init.adminToken, file }),
    ).rejects.toThrow(
      `HTTP 400): this cluster keeps its objects in an external etcd (${etcd.endpoint}, prefix /snap), which kedge snapshot save does not cover: back up etcd itself with \`ETCDCTL_API=3 etcdctl --endpoints ${etcd.endpoint} snapshot save FILE\``,
    );
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.part`)).toBe(false);
  }, 60_000);
});
