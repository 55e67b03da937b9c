// One seeded run: a cluster under a nemesis, clients writing and reading, invariants checked after
// every event; then everything heals and the cluster must elect a leader and commit a final entry
// in bounded time; then the clients' history must be linearizable. Same seed, same run.

import {
  checkKvHistory,
  HistoryRecorder,
  type KvInput,
  type KvOutput,
} from '../../support/linearizability/index.ts';
import { createPrng, type Prng } from '../../support/prng.ts';
import { InvariantViolation } from './invariants.ts';
import { type NemesisMode, startNemesis } from './nemesis.ts';
import { SimClient } from './sim-client.ts';
import { type ClusterOptions, SimCluster } from './sim-cluster.ts';
import { FAST_DISK } from './sim-disk.ts';
import { CALM_NETWORK, type NetworkConditions } from './sim-network.ts';

export interface SimulationOptions {
  readonly seed: number;
  /** Simulated ms of faults and client traffic before the heal. */
  readonly faultMs: number;
  /** After the heal, a leader and a committed final entry must appear within this many ms. */
  readonly livenessMs: number;
  readonly clients: number;
  readonly membershipChanges: boolean;
  /** Which faults the nemesis injects (default 'mixed'). */
  readonly nemesis?: NemesisMode;
}

export interface SimulationReport {
  readonly seed: number;
  readonly ok: boolean;
  /** What went wrong: an invariant, liveness, linearizability, or an exception from the core. */
  readonly failure?: string;
  readonly trace: readonly string[];
  readonly stats: {
    readonly events: number;
    readonly simulatedMs: number;
    readonly operations: number;
    readonly unknownOutcomes: number;
    readonly leaderChanges: number;
    readonly livenessMs: number | undefined;
    readonly voters: number;
  };
}

/** The shape of one seed's cluster: drawn from the seed so that seeds cover many configurations. */
export function clusterShape(prng: Prng): ClusterOptions {
  const voters = prng.chance(0.5) ? 3 : 5;
  const maxDelayMs = prng.pick([2, 10, 30, 80]);
  const network: NetworkConditions = {
    ...CALM_NETWORK,
    minDelayMs: 0.5,
    maxDelayMs,
    lossRate: prng.pick([0, 0.01, 0.05]),
    duplicateRate: prng.pick([0, 0.02]),
    spikeRate: prng.pick([0, 0.02]),
    spikeDelayMs: 300,
  };
  return {
    voters,
    learners: prng.int(0, 1),
    tickMs: 100,
    tickSkew: prng.pick([0, 0.02, 0.1]),
    raft: {
      electionTick: 10,
      heartbeatTick: 1,
      checkQuorum: prng.chance(0.75),
      preVote: prng.chance(0.75),
      maxSizePerMsg: prng.pick([256, 4096, 1 << 20]),
      maxInflightMsgs: prng.pick([4, 256]),
    },
    network,
    disk: FAST_DISK,
    snapshotEvery: prng.pick([10, 25, 1000]),
    keepBehindSnapshot: prng.pick([0, 5]),
    logScanEvery: 200,
    maxEvents: 400_000,
  };
}

/** Runs one seed to the end (or to its first failure) and reports. */
export function runSimulation(options: SimulationOptions, shape?: ClusterOptions): SimulationReport {
  const prng = createPrng(options.seed);
  const cluster = new SimCluster(prng.fork('cluster'), shape ?? clusterShape(prng.fork('shape')));
  const history = new HistoryRecorder<KvInput, KvOutput>();
  const clientPrng = prng.fork('clients');
  const clients = Array.from(
    { length: options.clients },
    (_, i) =>
      new SimClient(i + 1, cluster.queue, clientPrng.fork(`client-${i + 1}`), history, cluster, {
        keys: ['a', 'b', 'c'],
        timeoutMs: 2000,
        thinkMs: 100,
        retryMs: 100,
        logReadShare: 0.3,
        writeShare: 0.5,
      }),
  );
  let livenessMs: number | undefined;
  const finish = (failure?: string): SimulationReport => ({
    seed: options.seed,
    ok: failure === undefined,
    ...(failure === undefined ? {} : { failure }),
    trace: cluster.trace,
    stats: {
      events: cluster.events,
      simulatedMs: cluster.queue.now(),
      operations: history.operations().length,
      unknownOutcomes: clients.reduce((sum, client) => sum + client.stats.unknown, 0),
      leaderChanges: cluster.leaderChanges,
      livenessMs,
      voters: cluster.confState.voters.length,
    },
  });

  try {
    cluster.start();
    for (const client of clients) client.start();
    startNemesis(cluster, prng.fork('nemesis'), options.faultMs, options.membershipChanges, options.nemesis);
    cluster.runUntil(options.faultMs);

    // Heal: no more faults, every link and disk healthy, every member process running.
    for (const client of clients) client.stop();
    cluster.network.heal();
    cluster.network.setConditions({ lossRate: 0, duplicateRate: 0, spikeRate: 0 });
    for (const node of cluster.nodes()) {
      node.disk.setLatency(FAST_DISK);
      cluster.restart(node.id);
    }
    cluster.log('heal everything; waiting for a leader and a final commit');
    const healedAt = cluster.queue.now();
    // The final write goes to whoever leads, again every second until applied: a leader found
    // right after the heal may be a stale one about to be deposed (the state machine dedupes).
    const finalCommand = { client: 0, seq: 1, op: 'put' as const, key: 'final', value: 'done' };
    const finalId = history.invoke(0, { op: 'put', key: 'final', value: 'done' });
    let finalApplied = false;
    let nextFinalAttempt = healedAt;
    const finalCommitted = (): boolean => {
      if (!finalApplied && cluster.queue.now() >= nextFinalAttempt) {
        const leader = cluster.leader();
        if (leader !== undefined) {
          nextFinalAttempt = cluster.queue.now() + 1000;
          try {
            leader.submit(finalCommand, (output) => {
              if (finalApplied) return;
              finalApplied = true;
              history.complete(finalId, output);
            });
          } catch (error) {
            cluster.log(`final proposal refused by ${leader.id}: ${String(error)}`);
          }
        }
      }
      const voters = cluster.confState.voters.filter((id) => !cluster.isRetired(id));
      return (
        finalApplied &&
        voters.every((id) => {
          const node = cluster.node(id);
          return node.alive && node.applied >= cluster.invariants.highestCommitted;
        })
      );
    };
    cluster.runFor(options.livenessMs, finalCommitted);
    if (!finalCommitted()) {
      return finish(
        `liveness: ${options.livenessMs} ms after healing, ${
          cluster.leader() === undefined
            ? 'no leader was elected'
            : 'the final entry was not applied on every voter'
        } (${cluster
          .running()
          .map((n) => `${n.id}:${n.role}@${n.term} applied ${n.applied}`)
          .join(', ')})`,
      );
    }
    livenessMs = cluster.queue.now() - healedAt;
    // Let clients' outstanding operations time out, then the last full scan.
    cluster.runFor(2500);
    cluster.scanLogs();
  } catch (error) {
    if (error instanceof InvariantViolation) return finish(`invariant ${error.message}`);
    return finish(`exception: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  const result = checkKvHistory(history.operations());
  if (result.kind === 'notLinearizable') return finish(`linearizability: ${result.explanation}`);
  if (result.kind === 'unknown') return finish(`linearizability checker gave up: ${result.explanation}`);
  return finish();
}

/** The replay command and the end of the trace, for a failing seed. */
export function describeFailure(report: SimulationReport, lines = 40): string {
  return [
    `seed ${report.seed} failed: ${report.failure}`,
    `replay: SIM_SEED=${report.seed} npx vitest run test/consensus/sim`,
    `last ${Math.min(lines, report.trace.length)} trace lines:`,
    ...report.trace.slice(-lines).map((line) => `  ${line}`),
  ].join('\n');
}
