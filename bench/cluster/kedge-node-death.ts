/**
 * One node-death trial: kill -9 of the non-leader agent running the most pods, and SIGKILL of its
 * pods (a dead machine takes its containers along); then, polling every 100 ms, when the Node was
 * tainted / NotReady (detection), its first pod deleted (eviction), the replacements created,
 * bound (scheduling) and Running + Ready (start); then the agent is started again on its data
 * dir and waited until its Node is Ready and it is a healthy voter, ready for the next trial.
 */
import path from 'node:path';
import { spawnAgent, type UpResult } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';
import { LABEL } from '../../agent/src/runtime/labels.ts';
import { type KedgeWorkload, type NodeView, ready } from './kedge-workload.ts';
import { pollUntil, sleep } from './timing.ts';

/** Milliseconds from the kill, per stage, for one node-death trial. */
export interface DeathStages {
  readonly podsOnNode: number;
  readonly detectedMs: number;
  readonly evictedMs: number;
  readonly createdMs: number;
  readonly boundMs: number;
  readonly runningMs: number;
}

/** The non-leader node running the most bench pods (killing the leader would time an election too). */
async function victim(workload: KedgeWorkload): Promise<{ index: number; name: string }> {
  const cluster = await workload.api.call<{ members: { name: string; status?: { role: string } }[] }>(
    'GET',
    '/kedge/v1/cluster',
  );
  const leader = cluster.members.find((m) => m.status?.role === 'leader')?.name;
  const pods = (await workload.pods()).filter(ready);
  const count = (n: string) => pods.filter((p) => p.spec.nodeName === n).length;
  const name = workload.names.filter((n) => n !== leader).sort((a, b) => count(b) - count(a))[0];
  if (name === undefined || count(name) === 0)
    throw new Error(`node death: no non-leader node runs a bench pod (leader ${leader})`);
  return { index: workload.names.indexOf(name) + 1, name };
}

/**
 * kill -9 of a non-leader agent and its containers, then the stages until every replica runs on
 * the other nodes; then the agent is started again on its data dir and its Node waited Ready.
 */
export async function nodeDeathTrial(
  workload: KedgeWorkload,
  cluster: UpResult,
  dir: string,
  restarted: Map<number, number>,
  log: (line: string) => void,
  measured: (stages: DeathStages) => void,
): Promise<void> {
  const { index, name } = await victim(workload);
  const agent = cluster.agents.find((a) => a.index === index);
  if (agent === undefined) throw new Error(`no agent ${index}`);
  const pid = restarted.get(index) ?? agent.pid;
  log(`  kedge: killing ${name}; pods per node ${await workload.spread()}`);
  const before = await workload.pods();
  const total = before.filter(ready).length;
  const doomed = new Set(before.filter((p) => p.spec.nodeName === name).map((p) => p.metadata.name));
  const known = new Set(before.map((p) => p.metadata.name));
  if (doomed.size === 0) throw new Error(`node death: ${name} runs no bench pod; nothing to replace`);

  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  // A dead machine takes its containers with it: SIGKILL them right away (the removal waits).
  const sandboxes = (
    await workload.cli.run(['pod', 'ps', '-q', '--filter', `label=${LABEL.node}=${name}`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (sandboxes.length > 0) await workload.cli.run(['pod', 'kill', ...sandboxes]);

  const at = (t: number | undefined) => (t === undefined ? Number.NaN : t - killedAt);
  let detected: number | undefined;
  let evicted: number | undefined;
  const created = new Map<string, number>();
  const bound = new Map<string, number>();
  const running = new Map<string, number>();
  await pollUntil(
    `${total} bench pods Running off ${name}`,
    async () => {
      const [node, pods] = await Promise.all([workload.node(name).catch(() => undefined), workload.pods()]);
      const now = Date.now();
      if (
        detected === undefined &&
        node !== undefined &&
        ((node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable') ||
          (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status !== 'True'))
      )
        detected = now;
      const byName = new Map(pods.map((p) => [p.metadata.name, p]));
      if (
        evicted === undefined &&
        [...doomed].some((n) => byName.get(n) === undefined || byName.get(n)?.metadata.deletionTimestamp)
      )
        evicted = now;
      for (const p of pods) {
        const n = p.metadata.name;
        if (known.has(n)) continue;
        if (!created.has(n)) created.set(n, now);
        if (p.spec.nodeName && !bound.has(n)) bound.set(n, now);
        if (ready(p) && !running.has(n)) running.set(n, now);
      }
      const up = pods.filter((p) => ready(p) && p.spec.nodeName !== name).length;
      return up >= total ? true : undefined;
    },
    120_000,
  );
  const last = (m: Map<string, number>) => (m.size === 0 ? undefined : Math.max(...m.values()));
  const stages: DeathStages = {
    podsOnNode: doomed.size,
    detectedMs: at(detected),
    evictedMs: at(evicted),
    createdMs: at(last(created)),
    boundMs: at(last(bound)),
    runningMs: Date.now() - killedAt,
  };

  measured(stages);

  await removeNodeContainers([name]);
  const child = spawnAgent(path.join(dir, `agent-${index}`));
  if (child.pid === undefined)
    throw new Error(`could not start ${name} again; see ${dir}/agent-${index}/agent.log`);
  restarted.set(index, child.pid);
  let seen: NodeView | undefined;
  await pollUntil(
    `${name} Ready and untainted again after its agent restarted`,
    async () => {
      seen = await workload.node(name);
      const isReady = (seen.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      const tainted = (seen.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/'));
      return isReady && !tainted ? true : undefined;
    },
    90_000,
    250,
  ).catch((e: Error) => {
    throw new Error(
      `${e.message}; last seen taints ${JSON.stringify(seen?.spec?.taints)} conditions ${JSON.stringify(seen?.status?.conditions)}`,
    );
  });
  // And back in Raft as a voter, or the next kill could leave no quorum.
  await pollUntil(
    `${name} a healthy voter again`,
    async () => {
      const c = await workload.api.call<{
        members: { name: string; health: string; status?: { role: string } }[];
      }>('GET', '/kedge/v1/cluster');
      return c.members.every(
        (m) => m.health === 'healthy' && m.status !== undefined && m.status.role !== 'learner',
      )
        ? true
        : undefined;
    },
    90_000,
    250,
  );
  // The returned node holds nothing yet; the next trial kills the other one, which does.
  await sleep(2000);
}
