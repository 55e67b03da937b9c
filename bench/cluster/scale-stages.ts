/**
 * The scale-up of the cluster benchmark (Deployment 10 -> 50 on 3 local agents), taken apart into
 * its stages by a pod watch (pod-timeline.ts): created by the ReplicaSet, bound by the scheduler,
 * Running and Ready by the kubelets. A benchmark, never a test; run it as root with podman:
 *
 *     node_modules/.bin/node bench/cluster/scale-stages.ts [trials=3]
 *
 *   up --agents 3 ─> Nodes Ready ─┬─> deploy 10 ─> watch pods, PATCH 50 ─> 50 Ready ─> summary
 *                                 └─> delete the Deployment, its pods gone            × trials
 *   ─> down --purge, containers removed by node label
 */

import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { down, up } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';
import { defaultPodmanConfig, podmanCli } from '../../agent/src/runtime/podman-cli.ts';
import { kedgeApi } from './kedge-api.ts';
import { DEPLOYMENTS, KedgeWorkload } from './kedge-workload.ts';
import { type PodmanEvent, PodTimeline, watchPods } from './pod-timeline.ts';
import { describeFigure, figure, pollUntil, sleep } from './timing.ts';

const trials = Number(process.argv[2] ?? 3);
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** podman's event log since `since` (containers and pods of every agent on this machine). */
async function podmanEvents(since: string): Promise<PodmanEvent[]> {
  const { stdout } = await podmanCli(defaultPodmanConfig).run([
    'events',
    '--stream=false',
    '--since',
    since,
    '--format',
    'json',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PodmanEvent);
}

const dir = await mkdtemp(path.join(tmpdir(), 'kedge-bench-scale-'));
const prefix = `scale${process.pid}`;
const names = [1, 2, 3].map((i) => `${prefix}-${i}`);
const totals = figure();
try {
  const cluster = await up({
    agents: 3,
    dir,
    basePort: 30_000 + Math.floor(Math.random() * 20) * 200,
    namePrefix: prefix,
    timeoutMs: 120_000,
    progress: (line) => log(`kedge: ${line}`),
  });
  const api = kedgeApi({
    addresses: cluster.agents.map((a) => a.apiAddress),
    caPem: cluster.caPem,
    token: cluster.adminToken,
  });
  const follower = kedgeApi({
    addresses: [cluster.agents[1]!.apiAddress],
    caPem: cluster.caPem,
    token: cluster.adminToken,
  });
  try {
    const bench = new KedgeWorkload(api, names, 'scale');
    await bench.nodesReady();
    for (let t = 1; t <= trials; t++) {
      // A fresh Deployment each trial, as vs-swarm.ts: a scale-down would leave the 10 survivors on
      // one node (the ranking by replicas per node is computed once, as in Kubernetes) and the
      // scale-up would then be uneven (7/16/17 new pods instead of 13/13/14).
      log(
        `trial ${t}: 10 replicas Running after ${await bench.deploy(10)} ms; per node ${await bench.spread()}`,
      );
      const before = await api.call<{
        metadata: { resourceVersion: string };
        items: { metadata: { name: string } }[];
      }>('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dscale');
      const known = new Set(before.items.map((p) => p.metadata.name));
      let watchError: Error | undefined;
      const t0 = Date.now();
      const timeline = new PodTimeline(t0, known);
      const watch = watchPods({
        address: cluster.agents[0]!.apiAddress,
        caPem: cluster.caPem,
        token: cluster.adminToken,
        labelSelector: 'app=scale',
        resourceVersion: before.metadata.resourceVersion,
        onEvent: (type, pod, at) => timeline.observe(type, pod, at),
        onError: (e) => {
          watchError = e;
        },
      });
      // What a kubelet's volume set-up reads per pod (http-node-client.ts: the ServiceAccount and the
      // namespace's Secrets for its token), timed against a follower meanwhile.
      const reads = figure();
      let scaling = true;
      const probe = (async () => {
        while (scaling) {
          const at = Date.now();
          try {
            await follower.call('GET', '/api/v1/namespaces/default/serviceaccounts/default');
            await follower.call('GET', '/api/v1/namespaces/default/secrets');
            reads.samples.push(Date.now() - at);
          } catch (error) {
            log(`  volume-read probe: ${(error as Error).message}`);
            break;
          }
          await sleep(250);
        }
      })();
      try {
        await api.call(
          'PATCH',
          `${DEPLOYMENTS}/scale`,
          { spec: { replicas: 50 } },
          'application/merge-patch+json',
        );
        await pollUntil(
          '40 new pods Ready',
          async () => {
            if (watchError !== undefined) throw watchError;
            return timeline.readyCount() >= 40 ? true : undefined;
          },
          240_000,
          20,
        );
      } finally {
        watch.stop();
        scaling = false;
        await probe;
      }
      timeline.observePodman(await podmanEvents(new Date(t0 - 1000).toISOString()));
      const ms = Math.max(...[...timeline.pods.values()].map((s) => s.ready ?? 0));
      totals.samples.push(ms);
      log(`trial ${t}: 10 -> 50 Ready after ${ms} ms (load ${load()})`);
      for (const line of timeline.summary()) log(`  ${line}`);
      log(`  a kubelet's 2 volume reads on a follower meanwhile: ${describeFigure(reads)}`);
      await bench.remove();
    }
    log(`scale 10 -> 50: ${describeFigure(totals)}; load ${load()}`);
  } finally {
    api.close();
    follower.close();
  }
} finally {
  await down({ dir, purge: true });
  await removeNodeContainers(names);
}
