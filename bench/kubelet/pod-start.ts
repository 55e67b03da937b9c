/**
 * Kubelet pod start: a Pod created in the store (bound to this node) until the kubelet reports its
 * container running in the pod's status, p50/p99 over N pods, beside a bare `podman run -d` of the
 * same image and command in the same run (the anchor). Then the kubelet's idle cost with 0 and with
 * N pods: RSS of this process, and CPU of this process plus the podman processes it spawns (the
 * relist) plus its podman API service when it has one, over a quiet window.
 *
 *   node_modules/.bin/node bench/kubelet/pod-start.ts [pods=20] [idleSeconds=20]
 *   KEDGE_PODMAN_API=0 ... runs the kubelet on the podman CLI instead of the API service.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../agent/src/api/types/pod.ts';
import { BASE_IMAGE, buildBaseImage } from '../../agent/src/image/base-image.ts';
import { Kubelet } from '../../agent/src/kubelet/kubelet.ts';
import { StoreNodeClient } from '../../agent/src/kubelet/store-node-client.ts';
import { LABEL } from '../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig } from '../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime } from '../../agent/src/runtime/podman-runtime.ts';
import { ObjectStore } from '../../agent/src/store/object-store.ts';

const count = Number(process.argv[2] ?? 20);
const idleSeconds = Number(process.argv[3] ?? 20);
const nodeName = `bench-kubelet-${randomUUID().slice(0, 6)}`;
const dataDir = await mkdtemp(join(tmpdir(), 'kedge-bench-kubelet-'));
const runtime = await createPodmanRuntime({
  nodeName,
  config: defaultPodmanConfig,
  stateDir: join(dataDir, 'runtime'),
});
const cli = runtime.cli;
await buildBaseImage(cli);
const store = new ObjectStore();
const client = new StoreNodeClient(store);
for (const ns of ['default', 'kube-node-lease'])
  client.create(
    { group: '', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  );
const mode = runtime.modeDescription;
const kubelet = new Kubelet({ config: { nodeName, dataDir, nodeAddress: '127.0.0.1' }, client, runtime });
const PODS = { group: '', resource: 'pods' };
const command = ['sleep', '3600'];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Resolves when the pod's status first shows its container running (the store's watch is synchronous). */
function runningIn(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const handle = store.watch(
      { ...PODS, namespace: 'default', fieldSelector: `metadata.name=${name}` },
      (e) => {
        const pod = e.object as Pod;
        if (pod.status?.containerStatuses?.[0]?.state?.running) {
          if (!('status' in handle)) handle.stop();
          resolve(performance.now());
        }
      },
    );
    if ('status' in handle) reject(handle);
  });
}

async function viaKubelet(i: number): Promise<number> {
  const name = `bench-${i}`;
  const done = runningIn(name);
  const started = performance.now();
  client.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: BASE_IMAGE, command }],
    },
  });
  return (await done) - started;
}

async function bareRun(): Promise<number> {
  const name = `kedge-bench-bare-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  await cli.run(['run', '-d', '--name', name, ...cli.containerFlags(), BASE_IMAGE, ...command]);
  const elapsed = performance.now() - started;
  await cli.run(['rm', '-f', '-t', '0', name]);
  return elapsed;
}

/** CPU ticks (utime stime cutime cstime: 14-17 in proc(5), 12-15 after the command) of a process. */
async function ticksOf(pid: number | 'self'): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

/** CPU seconds of this process with its reaped children (podman CLI calls), and of the API service. */
async function cpuSeconds(): Promise<{ agent: number; service: number }> {
  const service = runtime.servicePid;
  return { agent: (await ticksOf('self')) / 100, service: (service ? await ticksOf(service) : 0) / 100 };
}

async function serviceRssMb(): Promise<number> {
  const pid = runtime.servicePid;
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function idle() {
  const before = await cpuSeconds();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const after = await cpuSeconds();
  const agent = after.agent - before.agent;
  const service = after.service - before.service;
  return {
    rssMb: process.memoryUsage().rss / 2 ** 20,
    serviceMb: await serviceRssMb(),
    cpuPercent: ((agent + service) / idleSeconds) * 100,
    serviceCpuPercent: (service / idleSeconds) * 100,
  };
}

const ours: number[] = [];
const bare: number[] = [];
type Idle = Awaited<ReturnType<typeof idle>>;
let idle0: Idle | undefined;
let idleN: Idle | undefined;
try {
  await kubelet.start();
  idle0 = await idle();
  await bareRun(); // warm-up
  for (let i = 0; i < count; i++) {
    ours.push(await viaKubelet(i));
    bare.push(await bareRun());
  }
  idleN = await idle();
} finally {
  kubelet.stop();
  const { stdout } = await cli.run(['pod', 'ps', '-q', '--filter', `label=${LABEL.node}=${nodeName}`]);
  for (const id of stdout.split('\n').filter(Boolean)) await cli.run(['pod', 'rm', '-f', '-t', '0', id]);
  runtime.close();
  await rm(dataDir, { recursive: true, force: true });
}

const row = (label: string, v: number[]) =>
  `${label.padEnd(44)} p50 ${percentile(v, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(v, 99).toFixed(0).padStart(5)} ms`;
console.log(
  `pod created in the store -> container running in status, ${count} pods; ${mode}; load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(row('kedge kubelet', ours));
console.log(row('anchor: podman run -d', bare));
console.log(
  `ratio kubelet / podman run -d: p50 ${(percentile(ours, 50) / percentile(bare, 50)).toFixed(2)}x, p99 ${(percentile(ours, 99) / percentile(bare, 99)).toFixed(2)}x (target < 1.5x)`,
);
const idleRow = (label: string, r: Idle | undefined) =>
  `idle ${label.padEnd(8)} RSS ${r?.rssMb.toFixed(0)} MB (+ API service ${r?.serviceMb.toFixed(0)} MB), CPU ${r?.cpuPercent.toFixed(1)}% of a core (agent + podman calls + service; service alone ${r?.serviceCpuPercent.toFixed(1)}%; ${idleSeconds} s)`;
console.log(idleRow('0 pods', idle0));
console.log(idleRow(`${count} pods`, idleN));
