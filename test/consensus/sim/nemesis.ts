// The nemesis: from a seeded PRNG, one fault every 0.3-1.5 s of simulated time, most of them
// undone a while later: partitions (symmetric, one-way, the leader alone), crashes with restarts
// (with or without the transport's peer-down hint), slow disks, lossy and duplicating links,
// leadership transfers, and membership changes made while all of this goes on.

import type { ConfChange } from '../../../consensus/src/types.ts';
import type { Prng } from '../../support/prng.ts';
import type { SimCluster } from './sim-cluster.ts';
import { FAST_DISK } from './sim-disk.ts';

type Fault = (cluster: SimCluster, prng: Prng) => void;

/** Undoes a fault after a while (the nemesis keeps a few of these pending). */
function later(cluster: SimCluster, prng: Prng, action: () => void): void {
  cluster.queue.at(cluster.queue.now() + prng.int(300, 3000), action);
}

const FAULTS: readonly { weight: number; name: string; run: Fault }[] = [
  {
    weight: 3,
    name: 'partition',
    run: (cluster, prng) => {
      const ids = prng.shuffled(cluster.nodes().map((node) => node.id));
      const cut = prng.int(1, ids.length - 1);
      const groups = [ids.slice(0, cut), ids.slice(cut)];
      cluster.network.partition(groups);
      cluster.log(`partition ${JSON.stringify(groups)}`);
      later(cluster, prng, () => {
        cluster.network.heal();
        cluster.log('heal network');
      });
    },
  },
  {
    weight: 2,
    name: 'isolateLeader',
    run: (cluster, prng) => {
      const leader = cluster.leader();
      if (leader === undefined) return;
      cluster.network.isolate(
        leader.id,
        cluster.nodes().map((node) => node.id),
      );
      cluster.log(`isolate leader ${leader.id}`);
      later(cluster, prng, () => {
        cluster.network.heal();
        cluster.log('heal network');
      });
    },
  },
  {
    weight: 2,
    name: 'asymmetric',
    run: (cluster, prng) => {
      const ids = cluster.nodes().map((node) => node.id);
      const from = prng.pick(ids);
      const to = prng.pick(ids.filter((id) => id !== from));
      // Often the leader's outbound link: it hears its followers but they do not hear it.
      const leader = cluster.leader();
      const source = leader !== undefined && prng.chance(0.5) ? leader.id : from;
      for (const target of prng.chance(0.5) ? ids : [to]) cluster.network.cutOneWay(source, target);
      cluster.log(`cut one way from ${source}: ${cluster.network.cutLinks().join(' ')}`);
      later(cluster, prng, () => {
        cluster.network.heal();
        cluster.log('heal network');
      });
    },
  },
  {
    weight: 3,
    name: 'crash',
    run: (cluster, prng) => {
      const running = cluster.running();
      if (running.length === 0) return;
      const leader = cluster.leader();
      const victim = leader !== undefined && prng.chance(0.4) ? leader : prng.pick(running);
      cluster.crash(victim.id, prng.chance(0.5));
      later(cluster, prng, () => cluster.restart(victim.id));
    },
  },
  {
    weight: 1,
    name: 'slowDisk',
    run: (cluster, prng) => {
      const node = prng.pick(cluster.nodes());
      const maxMs = prng.pick([20, 100, 400]);
      cluster.setDiskLatency(node.id, { minMs: maxMs / 4, maxMs });
      cluster.log(`slow disk on ${node.id}: fsync up to ${maxMs} ms`);
      later(cluster, prng, () => {
        if (!cluster.isRetired(node.id)) cluster.setDiskLatency(node.id, FAST_DISK);
      });
    },
  },
  {
    weight: 1,
    name: 'connectionBlip',
    run: (cluster, prng) => {
      // A connection to a live leader drops (a NAT timeout, a restarted proxy): the transport
      // tells some followers their peer is down though the leader is fine.
      const leader = cluster.leader();
      if (leader === undefined) return;
      const told = cluster.running().filter((node) => node.id !== leader.id && prng.chance(0.6));
      cluster.log(
        `connection blip: ${told.map((node) => node.id).join(',') || 'nobody'} told ${leader.id} is down`,
      );
      for (const node of told) {
        node.raw.leaderConnectionLost(leader.id);
        node.flush();
      }
    },
  },
  {
    weight: 1,
    name: 'transferLeader',
    run: (cluster, prng) => {
      const leader = cluster.leader();
      const voters = cluster.confState.voters.filter((id) => id !== leader?.id && !cluster.isRetired(id));
      if (leader === undefined || voters.length === 0) return;
      const to = prng.pick(voters);
      cluster.log(`transfer leadership ${leader.id} -> ${to}`);
      leader.raw.transferLeadership(to);
      leader.flush();
    },
  },
  {
    weight: 1,
    name: 'flakyNetwork',
    run: (cluster, prng) => {
      const change = { lossRate: prng.pick([0, 0.05, 0.2]), duplicateRate: prng.pick([0, 0.05]) };
      cluster.network.setConditions(change);
      cluster.log(`network loss ${change.lossRate} duplication ${change.duplicateRate}`);
    },
  },
];

const MEMBERSHIP: readonly { weight: number; name: string; run: Fault }[] = [
  {
    weight: 1,
    name: 'addLearner',
    run: (cluster) => {
      const id = cluster.spawnNode();
      const accepted = cluster.proposeConfChange({ type: 'addLearner', nodeId: id });
      if (!accepted) cluster.retire(id);
    },
  },
  {
    weight: 1,
    name: 'promote',
    run: (cluster, prng) => {
      const learners = cluster.confState.learners.filter((id) => !cluster.isRetired(id));
      if (learners.length > 0) cluster.proposeConfChange({ type: 'addVoter', nodeId: prng.pick(learners) });
    },
  },
  {
    weight: 1,
    name: 'remove',
    run: (cluster, prng) => {
      const { voters, learners } = cluster.confState;
      // Keep at least three voters, so that one crash never costs the quorum by itself.
      const candidates = voters.length > 3 ? [...voters, ...learners] : [...learners];
      if (candidates.length === 0) return;
      const change: ConfChange = { type: 'removeNode', nodeId: prng.pick(candidates) };
      cluster.proposeConfChange(change);
    },
  },
];

function pickWeighted<T extends { weight: number }>(prng: Prng, items: readonly T[]): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let roll = prng.float() * total;
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1] as T;
}

export type NemesisMode = 'mixed' | 'crashes';

/** The crash-only nemesis: kill a process (often the leader), restart it 0.1-1 s later. */
function crashAndRestart(cluster: SimCluster, prng: Prng): void {
  const running = cluster.running();
  if (running.length === 0) return;
  const leader = cluster.leader();
  const victim = leader !== undefined && prng.chance(0.4) ? leader : prng.pick(running);
  cluster.crash(victim.id, prng.chance(0.5));
  cluster.queue.at(cluster.queue.now() + prng.int(100, 1000), () => cluster.restart(victim.id));
}

/**
 * Schedules faults until `untilMs`. 'mixed' draws one fault every 0.3-1.5 s from all of them
 * (membership changes are a quarter when enabled); 'crashes' only kills and restarts processes,
 * every 0.3-1.2 s, so that writes in flight to disk are often cut short.
 */
export function startNemesis(
  cluster: SimCluster,
  nemesis: Prng,
  untilMs: number,
  membership: boolean,
  mode: NemesisMode = 'mixed',
): void {
  const scheduleFault = (): void => {
    const at = cluster.queue.now() + (mode === 'crashes' ? nemesis.int(300, 1200) : nemesis.int(300, 1500));
    if (at >= untilMs) return;
    cluster.queue.at(at, () => {
      if (mode === 'crashes') crashAndRestart(cluster, nemesis);
      else
        pickWeighted(nemesis, membership && nemesis.chance(0.25) ? MEMBERSHIP : FAULTS).run(cluster, nemesis);
      scheduleFault();
    });
  };
  scheduleFault();
}
