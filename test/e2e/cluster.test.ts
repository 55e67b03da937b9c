/**
 * A real local cluster (`kedge up --agents 4`: 3 voters + 1 worker, separate processes on
 * 127.0.0.1-4) driven by the real kubectl, joins refused for bad tokens, and a leader kill -9
 * during a stream of writes: every acknowledged write survives and writes resume within seconds.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callAgent } from '../../agent/src/cluster/agent-client.ts';
import { down, type UpResult, up } from '../../agent/src/cluster/local-cluster.ts';

const run = promisify(execFile);
const binDir = '/usr/lib/google-cloud-sdk/bin';
const kubectls = ['1.33', '1.27'].map((v) => path.join(binDir, `kubectl.${v}`)).filter((f) => existsSync(f));
const agentMain = path.join(import.meta.dirname, '../../agent/src/agent-main.ts');

const manifest = (suffix: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web${suffix}, labels: {app: web${suffix}}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web${suffix}}}
  template:
    metadata: {labels: {app: web${suffix}}}
    spec: {containers: [{name: web, image: localhost/kedge/busybox:latest}]}
---
apiVersion: v1
kind: Service
metadata: {name: web${suffix}}
spec:
  selector: {app: web${suffix}}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web${suffix}-config, labels: {app: web${suffix}}}
data: {greeting: hello}
`;

let dir: string;
let cluster: UpResult;
const progress: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kedge-e2e-'));
  // A random port block keeps parallel runs (and other suites) apart.
  const basePort = 20_000 + Math.floor(Math.random() * 200) * 200;
  cluster = await up({ agents: 4, dir, basePort, progress: (line) => progress.push(line) });
}, 90_000);

afterAll(async () => {
  // One hook, in this order: stop the agents (cluster.json lists them), then remove everything.
  if (dir) await down({ dir, purge: true });
});

const voterAddresses = () => cluster.agents.slice(0, 4).map((a) => a.apiAddress);

async function nodeStatus(address: string) {
  const reply = await callAgent(address, '/kedge/v1/node', {
    ca: cluster.caPem,
    token: cluster.adminToken,
    timeoutMs: 500,
  });
  return reply.json as { id: number; role: string; term: number; leader: number };
}

describe('kedge up', () => {
  it('elects a leader and admits 3 voters and 1 worker', async () => {
    // The last voter may still be a learner being caught up when `up` returns: wait for promotion.
    await vi.waitFor(
      async () => {
        const reply = await callAgent(cluster.agents[0]!.apiAddress, '/kedge/v1/cluster', {
          ca: cluster.caPem,
          token: cluster.adminToken,
        });
        expect(reply.status).toBe(200);
        const roles = (reply.json.members as { status: { role: string } }[]).map((m) => m.status.role).sort();
        expect(roles).toEqual(['candidate', 'candidate', 'leader', 'worker']);
      },
      { timeout: 30_000, interval: 250 },
    );
    console.log(`kedge up: leader after ${cluster.electedMs} ms, 4 agents ready after ${cluster.readyMs} ms`);
  });

  it('refuses /kedge/v1/cluster without the admin token', async () => {
    const reply = await callAgent(cluster.agents[0]!.apiAddress, '/kedge/v1/cluster', { ca: cluster.caPem });
    expect(reply.status).toBe(401);
  });
});

describe.skipIf(kubectls.length === 0)('the real kubectl against the cluster', () => {
  for (const kubectl of kubectls) {
    const version = path.basename(kubectl);
    const k = (args: string[], server?: string) =>
      run(
        kubectl,
        ['--kubeconfig', cluster.kubeconfig, ...(server ? ['--server', `https://${server}`] : []), ...args],
        {
          timeout: 20_000,
        },
      );

    it(`${version}: apply, get in every format, scale, secrets, NotFound, delete`, async () => {
      const suffix = version.replace(/\D/g, '');
      const file = path.join(dir, `app-${suffix}.yaml`);
      await writeFile(file, manifest(suffix));
      const applied = await k(['apply', '-f', file]);
      expect(applied.stdout).toContain(`deployment.apps/web${suffix} created`);
      expect(applied.stdout).toContain(`configmap/web${suffix}-config created`);

      const table = await k(['get', 'deployments']);
      expect(table.stdout).toMatch(/NAME\s+READY\s+UP-TO-DATE/);
      expect(table.stdout).toContain(`web${suffix}`);
      expect((await k(['get', 'deployment', `web${suffix}`, '-o', 'yaml'])).stdout).toContain(
        'kind: Deployment',
      );
      const json = JSON.parse((await k(['get', 'service', `web${suffix}`, '-o', 'json'])).stdout);
      expect(json.spec.ports[0].port).toBe(80);
      expect((await k(['get', 'configmaps', '-l', `app=web${suffix}`, '-o', 'name'])).stdout.trim()).toBe(
        `configmap/web${suffix}-config`,
      );
      expect((await k(['get', 'namespaces', '-A'])).stdout).toContain('kube-system');
      expect((await k(['get', 'configmaps', '-A'])).stdout).toMatch(/NAMESPACE\s+NAME/);

      await k(['scale', `deployment/web${suffix}`, '--replicas=3']);
      expect((await k(['get', 'deployment', `web${suffix}`, '-o', 'jsonpath={.spec.replicas}'])).stdout).toBe(
        '3',
      );

      await k(['create', 'secret', 'generic', `db${suffix}`, '--from-literal=password=s3cret']);
      const secret = JSON.parse((await k(['get', 'secret', `db${suffix}`, '-o', 'json'])).stdout);
      expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cret');

      const missing = await k(['get', 'pod', 'nope']).then(
        () => '',
        (error: { stderr: string }) => error.stderr,
      );
      expect(missing).toContain('NotFound');
      expect(missing).toContain('"nope" not found');

      // The worker (agent 4) has no replica: it forwards to a voter.
      const viaWorker = await k(
        ['get', 'configmap', `web${suffix}-config`, '-o', 'name'],
        cluster.agents[3]!.apiAddress,
      );
      expect(viaWorker.stdout.trim()).toBe(`configmap/web${suffix}-config`);

      await k(['delete', 'configmap', `web${suffix}-config`]);
      const afterDelete = await k(['get', 'configmaps', '-l', `app=web${suffix}`, '-o', 'name']);
      expect(afterDelete.stdout.trim()).toBe('');
    });

    it(`${version}: get -w sees a change made on another agent`, async () => {
      const name = `watched-${version.replace(/\D/g, '')}`;
      await k(['create', 'configmap', name, '--from-literal=v=1']);
      const watcher = spawn(kubectl, [
        '--kubeconfig',
        cluster.kubeconfig,
        'get',
        'configmap',
        name,
        '-w',
        '-o',
        'jsonpath={.data.v}{"\\n"}',
      ]);
      let out = '';
      watcher.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      try {
        await expect.poll(() => out, { timeout: 10_000 }).toContain('1');
        // Through the worker, so the write and the watch take different agents.
        await k(['patch', 'configmap', name, '-p', '{"data":{"v":"2"}}'], cluster.agents[3]!.apiAddress);
        await expect.poll(() => out.split('\n'), { timeout: 10_000 }).toContain('2');
      } finally {
        watcher.kill('SIGKILL');
      }
    });
  }
});

describe('joining', () => {
  const tryJoin = async (token: string) => {
    const data = await mkdtemp(path.join(dir, 'joiner-'));
    const result = await run(
      process.execPath,
      [
        agentMain,
        '--data-dir',
        data,
        '--join',
        cluster.agents[0]!.apiAddress,
        '--token',
        token,
        '--advertise',
        '127.0.0.9',
        '--api-port',
        '29999',
        '--raft-port',
        '29998',
      ],
      { timeout: 20_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    return { ...result, wroteIdentity: existsSync(path.join(data, 'node.json')) };
  };
  const memberCount = async () =>
    (
      (
        await callAgent(cluster.agents[0]!.apiAddress, '/kedge/v1/members', {
          ca: cluster.caPem,
          token: cluster.adminToken,
        })
      ).json.members as unknown[]
    ).length;

  it('a token with the wrong secret is refused clearly and changes nothing', async () => {
    const before = await memberCount();
    const wrong = cluster.workerToken.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const result = await tryJoin(wrong);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the join token is not valid for this cluster');
    expect(result.wroteIdentity).toBe(false);
    expect(await memberCount()).toBe(before);
  });

  it('an expired token is refused with the reason', async () => {
    const created = await callAgent(cluster.agents[0]!.apiAddress, '/kedge/v1/tokens', {
      ca: cluster.caPem,
      token: cluster.adminToken,
      body: { kind: 'worker', ttlSeconds: 1 },
    });
    expect(created.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const before = await memberCount();
    const result = await tryJoin(created.json.token);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expired');
    expect(result.wroteIdentity).toBe(false);
    expect(await memberCount()).toBe(before);
  });
});

describe('leader kill -9 during writes', () => {
  it('keeps every acknowledged write and serves writes again within seconds', async () => {
    const statuses = await Promise.all(
      voterAddresses()
        .slice(0, 3)
        .map((a) => nodeStatus(a)),
    );
    const leader = statuses.find((s) => s.role === 'leader')!;
    const leaderAgent = cluster.agents.find((a) => a.index === leader.id) ?? cluster.agents[leader.id - 1]!;
    // Write through the worker: it keeps serving whichever voter leads.
    const target = cluster.agents[3]!.apiAddress;
    const acknowledged: string[] = [];
    let killedAt = 0;
    let firstAckAfterKill = 0;
    let n = 0;
    const stopAt = Date.now() + 6000;
    const writer = (async () => {
      while (Date.now() < stopAt) {
        const name = `w-${n++}`;
        const reply = await callAgent(target, '/api/v1/namespaces/default/configmaps', {
          ca: cluster.caPem,
          token: cluster.adminToken,
          timeoutMs: 3000,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: String(n) } },
        }).catch(() => undefined);
        if (reply && reply.status >= 200 && reply.status < 300) {
          acknowledged.push(name);
          if (killedAt > 0 && firstAckAfterKill === 0) firstAckAfterKill = Date.now();
        } else if (reply?.status === 503) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    killedAt = Date.now();
    process.kill(leaderAgent.pid, 'SIGKILL');
    await writer;
    expect(firstAckAfterKill).toBeGreaterThan(0);
    const failoverMs = firstAckAfterKill - killedAt;
    console.log(
      `failover: first acknowledged write ${failoverMs} ms after kill -9 of node ${leader.id}; ${acknowledged.length} writes acknowledged`,
    );
    expect(failoverMs).toBeLessThan(5000);

    const survivor = cluster.agents.find((a) => a.index !== leader.id && a.index <= 3)!;
    const list = await callAgent(survivor.apiAddress, '/api/v1/namespaces/default/configmaps', {
      ca: cluster.caPem,
      token: cluster.adminToken,
    });
    const present = new Set(
      (list.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    );
    const lost = acknowledged.filter((name) => !present.has(name));
    expect(lost).toEqual([]);
  }, 30_000);
});
