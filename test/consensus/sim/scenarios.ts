// Targeted runs of the simulator that measure one behaviour instead of sweeping faults:
// leader stability on a healthy but imperfect network, and failover time after a leader crash.

import { createPrng } from '../../support/prng.ts';
import { type ClusterOptions, SimCluster } from './sim-cluster.ts';
import { CALM_NETWORK } from './sim-network.ts';

/** The production setting: tick = 100 ms, election after 10 ticks, heartbeat every tick. */
export function productionShape(change: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    voters: 3,
    learners: 0,
    tickMs: 100,
    raft: { electionTick: 10, heartbeatTick: 1, checkQuorum: true, preVote: true },
    network: { ...CALM_NETWORK, minDelayMs: 0.5, maxDelayMs: 50.5, lossRate: 0.05 },
    snapshotEvery: 1000,
    keepBehindSnapshot: 100,
    logScanEvery: 5000,
    ...change,
  };
}

/** Runs until some node leads; returns false if none does within `withinMs`. */
function awaitLeader(cluster: SimCluster, withinMs: number): boolean {
  cluster.runFor(withinMs, () => cluster.leader() !== undefined);
  return cluster.leader() !== undefined;
}

export interface StabilityReport {
  /** Elections won after the first leader (0 is the target). */
  readonly extraElections: number;
  readonly leaderChanges: number;
  readonly messagesLost: number;
}

/** A healthy cluster with jitter and loss (and a client writing once a second) for `minutes`. */
export function measureLeaderStability(
  seed: number,
  minutes: number,
  shape = productionShape(),
): StabilityReport {
  const cluster = new SimCluster(createPrng(seed), shape);
  cluster.start();
  if (!awaitLeader(cluster, 10_000)) throw new Error(`seed ${seed}: no leader within 10 s of start`);
  const electedAtStart = cluster.invariants.electedTerms;
  let seq = 0;
  const write = (): void => {
    const leader = cluster.leader();
    // Writes keep the log moving; a refused one (no leader right now) is simply skipped.
    if (leader !== undefined && leader.role === 'leader') {
      try {
        leader.submit({ client: 1, seq: ++seq, op: 'put', key: 'k', value: String(seq) }, () => {});
      } catch (error) {
        cluster.log(`write refused: ${String(error)}`);
      }
    }
    cluster.queue.at(cluster.queue.now() + 1000, write);
  };
  write();
  cluster.runFor(minutes * 60_000);
  cluster.scanLogs();
  return {
    extraElections: cluster.invariants.electedTerms - electedAtStart,
    leaderChanges: cluster.leaderChanges,
    messagesLost: cluster.network.stats.lost,
  };
}

/**
 * Crashes the leader of a settled cluster and returns the ticks until another node leads. With
 * `hint`, the survivors are told at once that their connection to it dropped (as TCP would).
 */
export function measureFailoverTicks(seed: number, hint: boolean, shape = productionShape()): number {
  const cluster = new SimCluster(createPrng(seed), shape);
  cluster.start();
  if (!awaitLeader(cluster, 10_000)) throw new Error(`seed ${seed}: no leader within 10 s of start`);
  // Settle, then crash at a random point within a tick (not in phase with the leader's heartbeat).
  cluster.runFor(3000 + createPrng(seed).float() * shape.tickMs);
  const old = cluster.leader();
  if (old === undefined) throw new Error(`seed ${seed}: the leader was lost before the crash`);
  const crashedAt = cluster.queue.now();
  cluster.crash(old.id, hint);
  cluster.runFor(30_000, () => {
    const leader = cluster.leader();
    return leader !== undefined && leader.id !== old.id;
  });
  const next = cluster.leader();
  if (next === undefined || next.id === old.id)
    throw new Error(`seed ${seed}: no new leader 30 s after the crash`);
  return (cluster.queue.now() - crashedAt) / shape.tickMs;
}

/** p50, p90 and max of a sample. */
export function percentiles(values: readonly number[]): { p50: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] as number };
}
