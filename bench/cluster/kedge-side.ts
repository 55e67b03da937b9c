/**
 * The kedge side of the cluster benchmark, on a real local cluster (`up`, 3 agent processes on
 * 127.0.0.1-3, podman):
 *
 *   deploy 10 ─> all Running │ scale 10 → 50 ─> all Running │ scale back to 10
 *   killed container (podman kill) ─> the pod Ready again with one more restart   × killTrials
 *   node death (kill -9 agent + its containers) ─> replacements Running elsewhere × deathTrials
 *     with the stages seen by polling every 100 ms: Node tainted / NotReady (detection), the dead
 *     node's pods deleted (eviction), replacements created, bound (scheduling), Running (start)
 *     ─> restart the agent, wait for its Node Ready; each trial kills the non-leader with most pods
 */
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { down, up } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';
import { type KedgeApi, kedgeApi } from './kedge-api.ts';
import { type DeathStages, nodeDeathTrial } from './kedge-node-death.ts';
import { KedgeWorkload } from './kedge-workload.ts';
import { type Figure, figure } from './timing.ts';

/** Filled as the run goes, so that a failure late in the run keeps the figures measured before it. */
export interface KedgeResults {
  deploy10?: Figure;
  scale10to50?: Figure;
  readonly killedContainer: Figure;
  readonly nodeDeath: Figure;
  readonly deathStages: DeathStages[];
}

export const emptyKedgeResults = (): KedgeResults => ({
  killedContainer: figure(),
  nodeDeath: figure(),
  deathStages: [],
});

export interface KedgeBenchOptions {
  readonly killTrials: number;
  readonly deathTrials: number;
  readonly log: (line: string) => void;
}

export async function runKedgeSide(options: KedgeBenchOptions, results: KedgeResults): Promise<void> {
  const { log } = options;
  const dir = await mkdtemp(path.join(tmpdir(), 'kedge-bench-cluster-'));
  const prefix = `bench${process.pid}`;
  const names = [1, 2, 3].map((i) => `${prefix}-${i}`);
  // Agents this benchmark started again after a node-death trial (`down` knows only the first pids).
  const restarted = new Map<number, number>();
  let api: KedgeApi | undefined;
  let failed = true;
  try {
    const cluster = await up({
      agents: 3,
      dir,
      basePort: 26_000 + Math.floor(Math.random() * 20) * 200,
      namePrefix: prefix,
      timeoutMs: 120_000,
      progress: (line) => log(`  kedge: ${line}`),
    });
    api = kedgeApi({
      addresses: cluster.agents.map((a) => a.apiAddress),
      caPem: cluster.caPem,
      token: cluster.adminToken,
    });
    const bench = new KedgeWorkload(api, names, 'bench');
    await bench.nodesReady();
    const deploy10 = await bench.deploy(10);
    results.deploy10 = figure(deploy10);
    log(`  kedge: 10 replicas Running after ${deploy10} ms; per node ${await bench.spread()}`);
    const scale = await bench.scale(50);
    results.scale10to50 = figure(scale);
    log(`  kedge: 10 -> 50 Running after ${scale} ms; per node ${await bench.spread()}`);
    await bench.scaleDown(10);
    log(`  kedge: back to 10; per node ${await bench.spread()}`);
    for (let i = 0; i < options.killTrials; i++) {
      const ms = await bench.killOneContainer(i);
      results.killedContainer.samples.push(ms);
      log(`  kedge: killed container back Ready after ${ms} ms`);
    }
    // The scale-down kept the oldest pods (ranked as Kubernetes does: pods on the nodes with more
    // replicas go first, then the newest), which may all sit on one node: node deaths get a fresh
    // Deployment spread by the scheduler.
    await bench.remove();
    const death = new KedgeWorkload(api, names, 'death');
    await death.deploy(10);
    log(`  kedge: node-death workload: per node ${await death.spread()}`);
    for (let t = 0; t < options.deathTrials; t++) {
      // Recorded as soon as measured: restarting the agent afterwards may still fail.
      await nodeDeathTrial(death, cluster, dir, restarted, log, (s) => {
        results.deathStages.push(s);
        results.nodeDeath.samples.push(s.runningMs);
        log(`  kedge: node death trial ${t + 1}: ${JSON.stringify(s)}`);
      });
    }
    failed = false;
  } finally {
    api?.close();
    for (const pid of restarted.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        // Already gone (killed by a later trial) is fine; anything else is worth a line.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH')
          log(`  kedge: kill ${pid}: ${(error as Error).message}`);
      }
    }
    if (failed) {
      // Keep the agents' logs of a failed run: they say why (the cluster directory is purged).
      const keep = await mkdtemp(path.join(tmpdir(), 'kedge-bench-cluster-logs-'));
      for (const i of [1, 2, 3])
        await copyFile(path.join(dir, `agent-${i}`, 'agent.log'), path.join(keep, `agent-${i}.log`)).catch(
          (e: Error) => log(`  kedge: no log of agent-${i}: ${e.message}`),
        );
      log(`  kedge: the agents' logs are in ${keep}`);
    }
    await down({ dir, purge: true });
    await removeNodeContainers(names);
  }
}
