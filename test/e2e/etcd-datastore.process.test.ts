/**
 * A real 3-agent cluster whose objects live in a real etcd (`kedge up --datastore etcd://...`):
 * the real kubectl 1.33 and real podman against it, and the etcd contents checked with etcdctl.
 *
 *   etcd (loopback) <── every agent's API server ── kubectl: Deployment + Service -> pods Running
 *   etcdctl get --prefix /kedge/   the objects are there; Secrets only as ciphertext
 *   kill -9 the leader agent       a surviving voter leads and runs the controllers; a writer that
 *                                  kept writing through another agent lost no acknowledged write
 *   kedge snapshot save            refuses, naming etcdctl snapshot save
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAgent } from '../../agent/src/cluster/agent-client.ts';
import { ETCD_BINARY, type EtcdProcess, etcdAvailable, startEtcd } from '../agent/store-etcd/etcd-process.ts';
import { KEDGE } from '../cli/cluster-fixture.ts';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const ETCDCTL = '/usr/bin/etcdctl';
const available = etcdAvailable() && existsSync(ETCDCTL);
if (!available)
  console.warn(`SKIPPED: needs ${ETCD_BINARY} and ${ETCDCTL} (apt-get install -y etcd-server etcd-client)`);

let etcd: EtcdProcess | undefined;
let cluster: LocalTestCluster;
const figures: Record<string, number> = {};

beforeAll(async () => {
  if (!available) return;
  etcd = await startEtcd();
  cluster = await startLocalCluster('etcdds', 3, { datastore: { address: `etcd://${etcd.hostPort}` } });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await etcd?.stop();
  if (Object.keys(figures).length > 0) console.log('etcd datastore e2e figures (ms):', figures);
});

async function etcdctl(...args: string[]): Promise<string> {
  const { stdout } = await run(ETCDCTL, ['--endpoints', etcd!.endpoint, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 10_000,
  });
  return stdout;
}

const admin = () => ({ ca: cluster.up.caPem, token: cluster.up.adminToken, timeoutMs: 2000 });
const idle = 'trap "exit 0" TERM; while :; do sleep 1; done';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', idle] }],
      },
    },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};

interface NodeView {
  role: string;
  leaderComponents: string[];
}

async function nodeStatus(apiAddress: string): Promise<NodeView | undefined> {
  const reply = await callAgent(apiAddress, '/kedge/v1/node', admin()).catch(() => undefined);
  return reply?.status === 200 ? (reply.json as NodeView) : undefined;
}

describe.skipIf(!available)('a cluster on an external etcd (kedge up --datastore)', () => {
  it('runs a Deployment and a Service applied with kubectl; the objects are in etcd under /kedge/', async () => {
    const t0 = Date.now();
    await cluster.create(deployment);
    await cluster.create(service);
    await waitFor(
      'two web pods Running',
      async () => {
        const pods = await cluster.pods('app=web');
        return pods.length === 2 && pods.every(isRunningReady) ? pods : undefined;
      },
      60_000,
      async () =>
        JSON.stringify((await cluster.pods('app=web')).map((p) => [p.spec.nodeName, p.status?.phase])),
    );
    figures.podsRunning = Date.now() - t0;
    const keys = (await etcdctl('get', '--prefix', '/kedge/', '--keys-only')).split('\n').filter(Boolean);
    expect(keys).toContain('/kedge/apps/deployments/default/web');
    expect(keys).toContain('/kedge/core/services/default/web');
    expect(keys.filter((k) => k.startsWith('/kedge/core/pods/default/web-'))).toHaveLength(2);
    expect(keys.filter((k) => k.startsWith('/kedge/apps/replicasets/default/web-'))).toHaveLength(1);
    // Every agent registers its Node by itself; the last one may still be on its way.
    await waitFor(
      'three Nodes in etcd',
      async () => {
        const nodes = (await etcdctl('get', '--prefix', '/kedge/core/nodes/', '--keys-only'))
          .split('\n')
          .filter(Boolean);
        return nodes.length === 3 ? nodes : undefined;
      },
      30_000,
      () => etcdctl('get', '--prefix', '/kedge/core/nodes/', '--keys-only'),
    );
    // The stored value is the object without its resourceVersion (that is the key's mod_revision).
    const stored = JSON.parse(
      await etcdctl('get', '/kedge/apps/deployments/default/web', '--print-value-only'),
    );
    expect(stored).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } });
    expect(stored.metadata.resourceVersion).toBeUndefined();
  });

  it('streams a change to kubectl get -w', async () => {
    await cluster.kubectl('create', 'configmap', 'watched', '--from-literal=v=one');
    const watcher = spawn(
      KUBECTL,
      [
        '--kubeconfig',
        cluster.up.kubeconfig,
        'get',
        'configmap',
        'watched',
        '-w',
        '-o',
        'jsonpath={.data.v}{"\\n"}',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      await waitFor('the initial state', async () => (out.includes('one\n') ? true : undefined), 10_000);
      await cluster.kubectl('patch', 'configmap', 'watched', '-p', '{"data":{"v":"two"}}');
      await waitFor(
        'the change on the watch',
        async () => (out.includes('two\n') ? true : undefined),
        10_000,
        async () => out,
      );
      expect(out.trim().split('\n')).toEqual(['one', 'two']);
    } finally {
      watcher.kill('SIGTERM');
    }
  });

  it('keeps Secrets in etcd sealed: no plaintext, no base64 of it', async () => {
    const plain = `hunter2-plain-${process.pid}`;
    await cluster.kubectl('create', 'secret', 'generic', 'creds', `--from-literal=password=${plain}`);
    const raw = await etcdctl('get', '/kedge/core/secrets/default/creds', '--print-value-only');
    expect(raw.length).toBeGreaterThan(0);
    expect(raw).not.toContain(plain);
    expect(raw).not.toContain(Buffer.from(plain).toString('base64'));
    const served = await cluster.kubectl('get', 'secret', 'creds', '-o', 'jsonpath={.data.password}');
    expect(Buffer.from(served, 'base64').toString()).toBe(plain);
  });

  it('refuses kedge snapshot save and says to use etcdctl snapshot save', async () => {
    const file = path.join(cluster.dir, 'backup.snap');
    const saved = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        KEDGE,
        ['snapshot', 'save', file, '--dir', cluster.dir],
        { env: { PATH: process.env.PATH, HOME: cluster.dir }, timeout: 60_000 },
        (error, _stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr }),
      );
    });
    expect(saved.code).not.toBe(0);
    expect(saved.stderr).toContain('external etcd');
    expect(saved.stderr).toContain(`etcdctl --endpoints ${etcd!.endpoint} snapshot save`);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.part`)).toBe(false);
  });

  it('survives kill -9 of the leader: a new leader runs the controllers, no acknowledged write is lost', async () => {
    const agents = cluster.up.agents;
    const statuses = await Promise.all(agents.map((a) => nodeStatus(a.apiAddress)));
    const leaderAt = statuses.findIndex((s) => s?.role === 'leader');
    expect(leaderAt).toBeGreaterThanOrEqual(0);
    const leader = agents[leaderAt]!;
    const survivors = agents.filter((a) => a !== leader);
    const through = survivors[0]!.apiAddress;

    // A writer through a surviving agent, before, during and after the kill.
    const acknowledged: string[] = [];
    const refused: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const name = `w-${i}`;
        const reply = await callAgent(through, '/api/v1/namespaces/default/configmaps', {
          ...admin(),
          method: 'POST',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { writer: 'failover' } } },
        }).catch((e: Error) => ({ status: 0, text: e.message }));
        if (reply.status === 201) acknowledged.push(name);
        else refused.push(`${name}: ${reply.status} ${reply.text.slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitFor(
      'writes before the kill',
      async () => (acknowledged.length >= 5 ? true : undefined),
      10_000,
    );
    const killedAt = Date.now();
    process.kill(leader.pid, 'SIGKILL');
    const next = await waitFor(
      'a new leader running the controllers',
      async () => {
        for (const a of survivors) {
          const s = await nodeStatus(a.apiAddress);
          if (s?.role === 'leader' && s.leaderComponents.includes('controllers')) return a;
        }
        return undefined;
      },
      20_000,
    );
    figures.newLeaderWithControllers = Date.now() - killedAt;
    const ackAtElection = acknowledged.length;
    await waitFor(
      'writes after the failover',
      async () => (acknowledged.length >= ackAtElection + 5 ? true : undefined),
      10_000,
    );
    writing = false;
    await writer;

    // The new leader's controllers act: scaling up creates and schedules a third pod.
    const server = ['--server', `https://${next.apiAddress}`];
    await cluster.kubectl(...server, 'scale', 'deployment', 'web', '--replicas=3');
    const scaledAt = Date.now();
    await waitFor(
      'a third web pod, scheduled',
      async () => {
        const { items } = JSON.parse(
          await cluster.kubectl(...server, 'get', 'pods', '-l', 'app=web', '-o', 'json'),
        ) as { items: { spec: { nodeName?: string } }[] };
        return items.length === 3 && items.every((p) => p.spec.nodeName) ? true : undefined;
      },
      30_000,
    );
    figures.scaledAfterFailover = Date.now() - scaledAt;

    const listed = JSON.parse(
      await cluster.kubectl(...server, 'get', 'configmaps', '-l', 'writer=failover', '-o', 'json'),
    ) as { items: { metadata: { name: string } }[] };
    const stored = new Set(listed.items.map((c) => c.metadata.name));
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);
    // Writes go straight to etcd, so losing the Raft leader need not refuse any of them.
    figures.writesAcknowledged = acknowledged.length;
    figures.writesRefused = refused.length;
    if (refused.length > 0) console.log('refused during failover:', refused.slice(0, 5));
  });
});
