import type { EndpointEntry } from '@kedge/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './agent-processes.ts';
import { spawnAgent, startCpuBurners } from './agent-processes.ts';
import { type PlannedNode, planCluster, waitFor } from './cluster-fixture.ts';

/**
 * Failure detection between real agent processes. Starting agents is the slow part (seconds on a
 * loaded 2-core box), so each describe starts one cluster and its tests run in order against it,
 * each asserting one property: converge, survive slowness, detect a silent death, detect a crash,
 * rejoin.
 */

function ep(ip: string, ready = true): EndpointEntry {
  return { namespace: 'default', service: 'web', portName: '', ip, port: 80, protocol: 'TCP', ready };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cluster {
  nodes: PlannedNode[];
  agents: AgentProcess[];
  /** When every agent had heard from every other: deaths before that concern agents not yet running. */
  formedAt: number;
  stop: () => Promise<void>;
}

async function startCluster(n: number): Promise<Cluster> {
  const { nodes, cleanup } = await planCluster(n, 'proc');
  const agents = await Promise.all(nodes.map((node) => spawnAgent(node, nodes)));
  const stop = async () => {
    await Promise.all(agents.map((a) => a.kill('SIGKILL')));
    await cleanup();
  };
  try {
    await waitFor(
      () => agents.every((a) => a.events.some((e) => e.event === 'ready')),
      60_000,
      'agents ready',
    );
    let asked = 0;
    await waitFor(
      () => {
        if (Date.now() - asked > 200) {
          asked = Date.now();
          for (const a of agents) a.requestStatus();
        }
        return agents.every((a) => {
          const members = a.lastStatus()?.members;
          return members?.length === n && members.every((m) => m.status === 'alive' && m.incarnation > 0);
        });
      },
      20_000,
      'every agent has heard from every other',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, agents, formedAt: Date.now(), stop };
}

/** Waits until each of `list` sees every one of `nodeIds` alive (a fair start for a test). */
async function allAlive(list: AgentProcess[], nodeIds: string[]): Promise<void> {
  let asked = 0;
  await waitFor(
    () => {
      if (Date.now() - asked > 200) {
        asked = Date.now();
        for (const a of list) a.requestStatus();
      }
      return list.every((a) =>
        nodeIds.every((id) => a.lastStatus()?.members?.some((m) => m.nodeId === id && m.status === 'alive')),
      );
    },
    20_000,
    `${nodeIds.join(',')} alive everywhere`,
  );
}

/** Waits until every survivor declared `victim` dead; returns the worst delay after `since`. */
async function deadEverywhere(survivors: AgentProcess[], victim: string, since: number, timeoutMs: number) {
  try {
    await waitFor(
      () => survivors.every((x) => x.deadAt(victim, since) !== undefined),
      timeoutMs,
      `${victim} dead everywhere`,
    );
  } catch (err) {
    // The membership timeline of every survivor (ms relative to the failure) is what explains a miss.
    const timeline = survivors.map(
      (x) =>
        `${x.nodeId}: ${x.events
          .filter((e) => e.event === 'member')
          .map((e) => `${e.at - since} ${e.nodeId} ${e.status}`)
          .join('; ')} ${x.stderr.join('').slice(0, 500)}`,
    );
    throw new Error(`${String(err)}\n${timeline.join('\n')}`);
  }
  return Math.max(...survivors.map((x) => x.deadAt(victim, since)!)) - since;
}

/** The agents' local health scores (0 = trusts its own timing; 7 = timeouts stretched 8x). */
async function healthScores(list: AgentProcess[]): Promise<number[]> {
  const asked = Date.now();
  for (const a of list) a.requestStatus();
  await waitFor(() => list.every((a) => (a.lastStatus()?.at ?? 0) >= asked), 5000, 'status');
  return list.map((a) => a.lastStatus()!.health!);
}

describe('gossip agents as separate processes: one cluster of 4, in order', () => {
  let c: Cluster;
  let a: AgentProcess[];
  beforeAll(async () => {
    c = await startCluster(4);
    a = c.agents;
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('endpoint tables converge across processes (add, readiness flip)', async () => {
    a[0]!.setEndpoints([ep('10.2.0.1')]);
    a[1]!.setEndpoints([ep('10.2.0.2'), ep('10.2.0.22', false)]);
    a[3]!.setEndpoints([ep('10.2.0.4')]);
    await waitFor(
      () => a.every((x) => x.readyIps().join() === '10.2.0.1,10.2.0.2,10.2.0.4'),
      10_000,
      'convergence after add',
    );
    a[1]!.setEndpoints([ep('10.2.0.2', false), ep('10.2.0.22')]);
    await waitFor(
      () => a.every((x) => x.readyIps().join() === '10.2.0.1,10.2.0.22,10.2.0.4'),
      5000,
      'convergence after readiness flip',
    );
  });

  it('a paused agent (SIGSTOP 700 ms) and a stuck one (event loop blocked 1 s) are never declared dead', async () => {
    a[2]!.child.kill('SIGSTOP');
    await sleep(700);
    a[2]!.child.kill('SIGCONT');
    await sleep(300);
    a[3]!.block(1000);
    await sleep(3500);
    for (const x of a) {
      expect(x.deathsSince(c.formedAt)).toEqual([]);
      expect(x.readyIps()).toEqual(['10.2.0.1', '10.2.0.22', '10.2.0.4']);
    }
  });

  it('an agent that vanishes silently (stopped for good, connections left open) is declared dead in ~3 s', async () => {
    const survivors = a.slice(0, 3);
    const scores = await healthScores(survivors);
    const stoppedAt = Date.now();
    a[3]!.child.kill('SIGSTOP');
    const worst = await deadEverywhere(survivors, 'proc-3', stoppedAt, 15_000);
    console.log(
      `silent stop -> dead everywhere in ${worst} ms (survivors' health scores ${scores.join(',')})`,
    );
    // Found by the probe round (no connection drops), then confirmed by all: ~2.5-3 s when the
    // survivors trust their timing. Survivors that measured themselves slow stretch their probe
    // period and timeouts by (score + 1), up to 8x: the price of never accusing a live agent.
    expect(worst).toBeLessThan(Math.max(...scores) <= 1 ? 4000 : 12_000);
    for (const x of survivors) expect(x.deathsSince(c.formedAt)).toEqual(['proc-3']);
    await waitFor(
      () => survivors.every((x) => !x.readyIps().includes('10.2.0.4')),
      1000,
      'endpoints dropped',
    );
    await a[3]!.kill('SIGKILL');
  });

  it('a SIGKILLed agent is declared dead within ~2 s and its endpoints dropped', async () => {
    const survivors = [a[0]!, a[2]!];
    const killedAt = Date.now();
    await a[1]!.kill('SIGKILL');
    const worst = await deadEverywhere(survivors, 'proc-1', killedAt, 5000);
    console.log(`SIGKILL -> dead everywhere in ${worst} ms`);
    // The dropped connection makes every survivor probe at once; all of them suspect, so the short
    // suspicion timeout (1 s) applies whatever their health: 1.1-1.4 s measured; the bound is the
    // loaded-CI one (this box ran at load average 20-40 with other suites alongside).
    expect(worst).toBeLessThan(4000);
    await waitFor(
      () => survivors.every((x) => !x.readyIps().includes('10.2.0.22')),
      1000,
      'endpoints dropped',
    );
    for (const x of survivors) expect(x.deathsSince(c.formedAt)).toEqual(['proc-3', 'proc-1']);
  });

  it('the SIGKILLed agent, started again, rejoins with a new incarnation and its table is current', async () => {
    const back = await spawnAgent(c.nodes[1]!, c.nodes);
    a[1] = back; // a is c.agents: the cluster's stop() kills it too
    const others = [a[0]!, a[2]!];
    await waitFor(() => back.events.some((e) => e.event === 'ready'), 60_000, 'restarted agent ready');
    // Its persisted own entries are announced again under the new incarnation.
    await waitFor(() => others.every((x) => x.readyIps().includes('10.2.0.22')), 10_000, 'rejoined');
    back.setEndpoints([ep('10.2.0.20')]);
    await waitFor(
      () => [...others, back].every((x) => x.readyIps().join() === '10.2.0.1,10.2.0.20'),
      5000,
      'new entries',
    );
  });

  it('under CPU load (2 busy processes): slow agents are not declared dead, a SIGKILLed one is within 4 s', async () => {
    const live = [a[0]!, a[1]!, a[2]!];
    await allAlive(live, ['proc-0', 'proc-1', 'proc-2']);
    const since = Date.now();
    const burners = startCpuBurners(2);
    try {
      await sleep(1000);
      a[0]!.child.kill('SIGSTOP');
      await sleep(700);
      a[0]!.child.kill('SIGCONT');
      a[2]!.block(1000);
      await sleep(3500);
      const scores = await healthScores(live);
      for (const x of live) expect(x.deathsSince(since)).toEqual([]);

      const killedAt = Date.now();
      await a[1]!.kill('SIGKILL');
      const survivors = [a[0]!, a[2]!];
      const worst = await deadEverywhere(survivors, 'proc-1', killedAt, 8000);
      console.log(
        `under load: SIGKILL -> dead everywhere in ${worst} ms (health scores ${scores.join(',')})`,
      );
      // Health stretches probe timeouts, not the crash path: the dropped connection is probed at
      // once, the dial is refused at once, and every survivor's suspicion confirms the others'.
      expect(worst).toBeLessThan(4000);
      for (const x of survivors) expect(x.deathsSince(since)).toEqual(['proc-1']);
    } finally {
      await burners.stop();
    }
  });
});
