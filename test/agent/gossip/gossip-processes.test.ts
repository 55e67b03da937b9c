import type { EndpointEntry } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentProcess } from './agent-processes.ts';
import { spawnAgent } from './agent-processes.ts';
import { planCluster, waitFor } from './cluster-fixture.ts';

const agents: AgentProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.kill('SIGKILL')));
  for (const c of cleanups.splice(0)) await c();
});

function ep(ip: string, ready = true): EndpointEntry {
  return { namespace: 'default', service: 'web', portName: '', ip, port: 80, protocol: 'TCP', ready };
}

async function startCluster(n: number) {
  const { nodes, cleanup } = await planCluster(n, 'proc');
  cleanups.push(cleanup);
  const started = await Promise.all(nodes.map((node) => spawnAgent(node, nodes)));
  agents.push(...started);
  await waitFor(
    () => started.every((a) => a.events.some((e) => e.event === 'ready')),
    60_000,
    'agents ready',
  );
  return { nodes, agents: started };
}

describe('gossip agents as separate processes', () => {
  it('tables converge across processes; a SIGKILLed agent is declared dead within ~2 s and its endpoints dropped', async () => {
    const { agents: a } = await startCluster(4);
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

    const killedAt = Date.now();
    await a[3]!.kill('SIGKILL');
    const survivors = a.slice(0, 3);
    await waitFor(
      () =>
        survivors.every(
          (x) =>
            x.events.some((e) => e.event === 'member' && e.nodeId === 'proc-3' && e.status === 'dead') &&
            !x.readyIps().includes('10.2.0.4'),
        ),
      5000,
      'proc-3 declared dead everywhere',
    );
    const deadAt = survivors.map(
      (x) => x.events.find((e) => e.event === 'member' && e.nodeId === 'proc-3' && e.status === 'dead')!.at,
    );
    const worst = Math.max(...deadAt) - killedAt;
    console.log(`SIGKILL -> dead everywhere in ${worst} ms`);
    // ~1 s on an idle machine; the bound leaves room for a loaded CI box.
    expect(worst).toBeLessThan(3000);
    // Nobody else was declared dead along the way.
    for (const x of survivors) {
      expect(
        x.events.filter((e) => e.event === 'member' && e.status === 'dead').map((e) => e.nodeId),
      ).toEqual(['proc-3']);
    }
  });

  it('a paused (slow) agent is suspected at most, never declared dead, and its endpoints stay', async () => {
    const { agents: a } = await startCluster(3);
    a[2]!.setEndpoints([ep('10.3.0.3')]);
    await waitFor(() => a.every((x) => x.readyIps().join() === '10.3.0.3'), 10_000, 'convergence');
    a[2]!.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 700));
    a[2]!.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2500));
    for (const x of a) {
      expect(x.events.filter((e) => e.event === 'member' && e.status === 'dead')).toEqual([]);
      expect(x.readyIps()).toEqual(['10.3.0.3']);
    }
  });

  it('a restarted agent (SIGKILL, start again) rejoins with a new incarnation and its table is current', async () => {
    const { nodes, agents: a } = await startCluster(3);
    a[1]!.setEndpoints([ep('10.4.0.2')]);
    await waitFor(() => a.every((x) => x.readyIps().join() === '10.4.0.2'), 10_000, 'convergence');
    await a[1]!.kill('SIGKILL');
    await waitFor(() => [a[0]!, a[2]!].every((x) => x.readyIps().length === 0), 5000, 'dropped');
    const back = await spawnAgent(nodes[1]!, nodes);
    agents.push(back);
    // Its persisted own entries are announced again under the new incarnation.
    await waitFor(() => [a[0]!, a[2]!].every((x) => x.readyIps().join() === '10.4.0.2'), 10_000, 'rejoined');
    back.setEndpoints([ep('10.4.0.20')]);
    await waitFor(
      () => [a[0]!, a[2]!, back].every((x) => x.readyIps().join() === '10.4.0.20'),
      5000,
      'new entries',
    );
  });
});
