/**
 * Scheduling throughput: 1,000 simulated nodes (objects, not processes) and 10,000 pending pods,
 * through the real Scheduler (queue -> filter -> score -> select -> assume -> bind effect). The bind
 * effect is an in-memory write that echoes the bound pod back as a watch event, as the store does.
 * Per-pod latency is one scheduling cycle (pop to assume), timed around scheduleNext().
 *
 *   node_modules/.bin/node bench/scheduler/throughput.ts [nodes] [pods] [percentageOfNodesToScore]
 */
import type { Node, Pod } from '../../agent/src/api/index.ts';
import type { ClusterEvent } from '../../agent/src/scheduler/cluster-events.ts';
import { defaultProfile } from '../../agent/src/scheduler/framework.ts';
import { Scheduler } from '../../agent/src/scheduler/scheduler.ts';
import { seededRandom } from '../../agent/src/scheduler/seeded-random.ts';

const NODES = Number(process.argv[2] ?? 1_000);
const PODS = Number(process.argv[3] ?? 10_000);
const PERCENTAGE = Number(process.argv[4] ?? 0);
const ANCHOR_KUBE_CI = 90; // kube-scheduler's CI performance bar, pods/s
const ANCHOR_NOMAD_C1M = 3_750; // Nomad C1M: 1M containers in < 5 min, placements/s
const TARGET = 5_000;

const rand = seededRandom(2024);
const zones = 10;

function makeNode(i: number): Node {
  const name = `node-${String(i).padStart(4, '0')}`;
  const edge = i % 10 === 0;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'topology.kubernetes.io/zone': `zone-${i % zones}`,
        disk: i % 3 === 0 ? 'ssd' : 'hdd',
      },
    },
    spec: edge ? { taints: [{ key: 'node-role', value: 'edge', effect: 'NoSchedule' }] } : {},
    status: {
      allocatable: { cpu: '16', memory: '32Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

/**
 * The mix: 80% plain Deployment replicas (owners of 100 pods), 10% with a nodeSelector, 5% tolerating
 * the edge taint, 5% in groups of 5 with required anti-affinity per host.
 */
function makePod(i: number): Pod {
  const kind = i % 20;
  const ownerUid = kind === 19 ? `anti-${Math.floor(i / 100)}-${i % 5}` : `rs-${Math.floor(i / 100)}`;
  const app = kind === 19 ? `spread-${ownerUid}` : `app-${Math.floor(i / 100)}`;
  const spec: Pod['spec'] = {
    containers: [
      {
        name: 'c',
        image: 'busybox',
        resources: {
          requests: {
            cpu: `${100 + Math.floor(rand() * 400)}m`,
            memory: `${64 + Math.floor(rand() * 448)}Mi`,
          },
        },
      },
    ],
  };
  if (kind === 17 || kind === 18) spec.nodeSelector = { disk: 'ssd' };
  if (kind === 16)
    spec.tolerations = [{ key: 'node-role', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }];
  if (kind === 19)
    spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      labels: { app },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: ownerUid, uid: ownerUid, controller: true },
      ],
    },
    spec,
  };
}

async function main(): Promise<void> {
  let sink: ((e: ClusterEvent) => void) | undefined;
  let bound = 0;
  const scheduler = new Scheduler({
    source: { subscribe: (s) => (sink = s) },
    effects: {
      bind: async (pod, nodeName) => {
        bound++;
        sink?.({ kind: 'Pod', type: 'MODIFIED', object: { ...pod, spec: { ...pod.spec, nodeName } } });
        return undefined;
      },
      recordEvent: () => {},
    },
    profile: defaultProfile({ percentageOfNodesToScore: PERCENTAGE }),
    seed: 7,
  });
  // No run(): the bench drives the cycles itself (as run() does) to time each one.
  sink = (e) => scheduler.handle(e);
  for (let i = 0; i < NODES; i++) {
    const node = makeNode(i);
    scheduler.handle({ kind: 'Node', type: 'ADDED', object: node });
    scheduler.handle({
      kind: 'NodeUtilisation',
      nodeName: node.metadata.name ?? '',
      utilisation: {
        cpuMilli: Math.floor(rand() * 12_000),
        memoryBytes: Math.floor(rand() * 24 * 1024 ** 3),
      },
    });
  }
  for (let i = 0; i < PODS; i++) scheduler.handle({ kind: 'Pod', type: 'ADDED', object: makePod(i) });

  const latencies = new Float64Array(PODS);
  let cycles = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (;;) {
    let progressed = false;
    for (let k = 0; k < 200; k++) {
      const s = performance.now();
      if (!scheduler.scheduleNext()) break;
      latencies[cycles++] = performance.now() - s;
      progressed = true;
    }
    await new Promise<void>((r) => setImmediate(r)); // let binds complete, as run() does
    if (!progressed) break;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const sorted = Array.from(latencies.subarray(0, cycles)).sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const rate = bound / elapsed;
  const { scheduled, unschedulable } = scheduler.stats;
  console.log(
    `scheduler throughput: ${NODES} nodes, ${PODS} pods, percentageOfNodesToScore=${PERCENTAGE || 'adaptive'}`,
  );
  console.log(
    `  bound ${bound} (scheduled ${scheduled}, unschedulable attempts ${unschedulable}) in ${elapsed.toFixed(2)} s`,
  );
  console.log(`  kedge                 ${rate.toFixed(0).padStart(7)} pods/s   target ${TARGET}`);
  console.log(
    `  kedge per CPU-second  ${(bound / cpuSeconds).toFixed(0).padStart(7)} pods/s   (${cpuSeconds.toFixed(2)} s CPU: less sensitive to a loaded machine)`,
  );
  console.log(`  kube-scheduler CI bar ${String(ANCHOR_KUBE_CI).padStart(7)} pods/s   (published anchor)`);
  console.log(
    `  Nomad C1M             ${String(ANCHOR_NOMAD_C1M).padStart(7)} placements/s (published anchor)`,
  );
  console.log(
    `  per-pod cycle latency: p50 ${(pct(0.5) * 1000).toFixed(0)} µs, p99 ${(pct(0.99) * 1000).toFixed(0)} µs, max ${((sorted.at(-1) ?? 0) * 1000).toFixed(0)} µs`,
  );
}

await main();
