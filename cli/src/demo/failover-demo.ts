/**
 * `kedge demo failover`: the whole run.
 *
 *   acquire a local cluster (demo-cluster.ts) -> find or deploy the sample Service `hello`
 *   -> start the clients: writes (write-stream.ts), service traffic (service-traffic.ts), agent polls
 *   -> N rounds (failover-round.ts), each: kill -9 the leader, measure, restart it, see it rejoin
 *   -> stop the clients -> list every ConfigMap of this run: each acknowledged write must be there
 *   -> clean up (the run's ConfigMaps on a user's cluster; the whole cluster when the demo made it)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deploySampleWorkload } from '../../../agent/src/control/sample-workload.ts';
import { type AgentHttps, createAgentHttps } from './agent-https.ts';
import { type AgentWatch, type DemoAgent, watchAgents } from './agent-watch.ts';
import { acquireCluster, type DemoCluster } from './demo-cluster.ts';
import { runRound } from './failover-round.ts';
import type { FailoverOutcome, RoundResult } from './failover-summary.ts';
import type { DemoEvent, LiveSnapshot } from './live-view.ts';
import { getOnce, type ServiceTraffic, startServiceTraffic } from './service-traffic.ts';
import { DEMO_LABEL, lostWrites, startWriteStream, type WriteStream } from './write-stream.ts';

export interface FailoverDemoOptions {
  readonly dir?: string;
  readonly agents: number;
  readonly rounds: number;
  readonly basePort: number;
  readonly nodePort: number;
  /** Deploy the sample workload when the demo starts its own cluster. */
  readonly sample: boolean;
  readonly signal: AbortSignal;
  /** Setup and teardown lines (starting the cluster, deploying the sample). */
  progress(line: string): void;
  emit(event: DemoEvent): void;
  /** The live view's source, handed over once the clients run. */
  attachSnapshot?(snapshot: (events: readonly string[]) => LiveSnapshot): void;
}

export async function runFailoverDemo(o: FailoverDemoOptions): Promise<FailoverOutcome> {
  const now = () => performance.now();
  const cluster = await acquireCluster({
    ...(o.dir !== undefined ? { dir: o.dir } : {}),
    agents: o.agents,
    basePort: o.basePort,
    progress: o.progress,
  });
  const http = createAgentHttps({ caPem: cluster.file.caPem, token: cluster.file.adminToken });
  const runId = randomBytes(3).toString('hex');
  let watch: AgentWatch | undefined;
  let writes: WriteStream | undefined;
  let service: ServiceTraffic | undefined;
  try {
    const sample = await findSampleService(o, cluster, http);
    if ('skipped' in sample) o.progress(`service check skipped: ${sample.skipped}`);
    watch = watchAgents({ http, agents: cluster.agents, now });
    let writeVia: DemoAgent[] = [...cluster.agents];
    let serviceVia = cluster.agents[1] ?? cluster.agents[0]!;
    writes = startWriteStream({ http, runId, now, targets: () => writeVia.map((a) => a.apiAddress) });
    if (!('skipped' in sample))
      service = startServiceTraffic({
        now,
        target: () => `${hostOf(serviceVia.apiAddress)}:${sample.nodePort}`,
      });
    let round = 0;
    const w = watch;
    const ws = writes;
    o.attachSnapshot?.((events) => ({
      round,
      rounds: o.rounds,
      agents: w.states(),
      acknowledged: ws.acknowledged.length,
      ...(ws.lastRefusal() !== undefined ? { lastRefusal: ws.lastRefusal() as string } : {}),
      service: service
        ? {
            ...service.totals(),
            via: `${hostOf(serviceVia.apiAddress)}:${'nodePort' in sample ? sample.nodePort : ''}`,
          }
        : { skipped: (sample as { skipped: string }).skipped },
      events,
    }));

    const rounds: RoundResult[] = [];
    let error: string | undefined;
    for (round = 1; round <= o.rounds && !o.signal.aborted; round++) {
      o.emit({ type: 'round', round, of: o.rounds });
      try {
        const result = await runRound(
          {
            watch,
            writes,
            ...(service ? { service } : {}),
            agents: cluster.agents,
            steer: (via, avoid) => {
              writeVia = [via, ...cluster.agents.filter((a) => a !== via && a !== avoid), avoid];
              serviceVia = via;
            },
            kill: (agent) => cluster.kill(agent),
            restart: (agent) => cluster.restart(agent),
            now,
            emit: o.emit,
            signal: o.signal,
          },
          round,
        );
        rounds.push(result);
        o.emit({ type: 'round-done', result });
      } catch (e) {
        error = o.signal.aborted ? 'stopped by Ctrl-C' : (e as Error).message;
        break;
      }
    }
    round = Math.min(round, o.rounds);
    await writes.stop();
    await service?.stop();
    const acknowledged = writes.acknowledged;
    o.progress(`checking that all ${acknowledged.length} acknowledged writes are in the cluster...`);
    const names = await listRunConfigMaps(http, cluster, runId);
    const lost = lostWrites(acknowledged, names, runId);
    if (!cluster.owned) await deleteRunConfigMaps(http, cluster, runId, o.progress);
    return {
      rounds,
      acknowledgedWrites: acknowledged.length,
      lostWrites: lost,
      ...('skipped' in sample ? { serviceSkipped: sample.skipped } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  } finally {
    watch?.stop();
    await writes?.stop();
    await service?.stop();
    http.close();
    o.progress(cluster.owned ? `stopping the demo's cluster in ${cluster.dir}` : 'restoring the cluster');
    await cluster.release();
  }
}

type SampleService = { nodePort: number } | { skipped: string };

/** The sample Service `hello`: deployed when the demo made the cluster, else looked up. */
async function findSampleService(
  o: FailoverDemoOptions,
  cluster: DemoCluster,
  http: AgentHttps,
): Promise<SampleService> {
  const first = cluster.agents[0]!;
  if (cluster.owned && o.sample) {
    try {
      const result = await deploySampleWorkload({
        apiAddress: first.apiAddress,
        caPem: cluster.file.caPem,
        token: cluster.file.adminToken,
        nodes: cluster.agents.length,
        nodePort: o.nodePort,
        progress: o.progress,
        timeoutMs: 60_000,
      });
      o.progress(`sample workload running (${result.pods.length} pods) after ${result.runningMs} ms`);
    } catch (error) {
      return { skipped: `no sample service (deploying it failed: ${(error as Error).message})` };
    }
  }
  const reply = await http
    .call(first.apiAddress, '/api/v1/namespaces/default/services/hello', { timeoutMs: 5000 })
    .catch((error: Error) => ({ status: 0, json: { message: error.message } }));
  if (reply.status === 404) return { skipped: 'no sample service' };
  if (reply.status !== 200)
    return { skipped: `no sample service (reading it failed: ${reply.json?.message ?? reply.status})` };
  const nodePort = reply.json?.spec?.ports?.[0]?.nodePort;
  if (typeof nodePort !== 'number') return { skipped: 'the sample service has no NodePort' };
  // The service must answer before the first kill, or a failure would say nothing about failover.
  const deadline = Date.now() + 20_000;
  let last = '';
  for (const agent of cluster.agents) {
    for (;;) {
      const answer = await getOnce(`${hostOf(agent.apiAddress)}:${nodePort}`, 1000);
      if (answer.ok) break;
      last = answer.error ?? 'no answer';
      if (Date.now() > deadline)
        return {
          skipped: `the sample service does not answer on ${hostOf(agent.apiAddress)}:${nodePort} (${last})`,
        };
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { nodePort };
}

/** Every ConfigMap name of this run, read through any agent that answers (503s retried). */
async function listRunConfigMaps(http: AgentHttps, cluster: DemoCluster, runId: string): Promise<string[]> {
  const selector = encodeURIComponent(`${DEMO_LABEL}=${runId}`);
  const deadline = Date.now() + 30_000;
  let lastError = '';
  for (;;) {
    for (const agent of cluster.agents) {
      try {
        const names: string[] = [];
        let cont = '';
        do {
          const reply = await http.call(
            agent.apiAddress,
            `/api/v1/namespaces/default/configmaps?labelSelector=${selector}&limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
            { timeoutMs: 10_000 },
          );
          if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.json?.message ?? ''}`);
          for (const item of reply.json.items ?? []) names.push(item.metadata.name);
          cont = reply.json.metadata?.continue ?? '';
        } while (cont);
        return names;
      } catch (error) {
        lastError = `${agent.name}: ${(error as Error).message}`;
      }
    }
    if (Date.now() > deadline)
      throw new Error(`could not list the demo's ConfigMaps to check them: ${lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** On a cluster the user keeps, the run's ConfigMaps go away again. */
async function deleteRunConfigMaps(
  http: AgentHttps,
  cluster: DemoCluster,
  runId: string,
  progress: (line: string) => void,
): Promise<void> {
  const selector = encodeURIComponent(`${DEMO_LABEL}=${runId}`);
  let reply: { status: number; json: { message?: string } | undefined } = { status: 0, json: undefined };
  // A leader change right after the last round answers 503: try a few times.
  for (let attempt = 0; attempt < 10; attempt++) {
    reply = await http
      .call(
        cluster.agents[attempt % cluster.agents.length]!.apiAddress,
        `/api/v1/namespaces/default/configmaps?labelSelector=${selector}`,
        {
          method: 'DELETE',
          body: { kind: 'DeleteOptions', apiVersion: 'v1' },
          timeoutMs: 60_000,
        },
      )
      .catch((error: Error) => ({ status: 0, json: { message: error.message } }));
    if (reply.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  progress(
    `could not remove the demo's ConfigMaps (label ${DEMO_LABEL}=${runId}): ${reply.json?.message ?? reply.status}; delete them with kubectl`,
  );
}

const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'));
