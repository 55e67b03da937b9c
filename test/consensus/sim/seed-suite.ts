// The seed sweep shared by the seeds-*.test.ts files (two files, so vitest runs the halves on two
// cores). Environment:
//   SIM_SEED=n        run only seed n, with its full trace on failure (the replay command)
//   SIM_SEEDS=n       how many seeds (default 2000 in CI, 300 elsewhere)
//   SIM_SEED_START=n  first seed of the sweep (default 1), to explore new ranges
//   SIM_SOAK=n        make every seed n times longer (n x 15 s of faults)
// Every fourth seed runs the crash-only nemesis; the others draw from every fault.

import { expect, it } from 'vitest';
import {
  describeFailure,
  runSimulation,
  type SimulationOptions,
  type SimulationReport,
} from './simulation.ts';

const env = process.env;
const single = env.SIM_SEED === undefined ? undefined : Number(env.SIM_SEED);
const count = Number(env.SIM_SEEDS ?? (env.CI ? 2000 : 300));
const start = Number(env.SIM_SEED_START ?? 1);
const soak = Number(env.SIM_SOAK ?? 1);
const CHUNK = 50;

export function simulationOptions(seed: number): SimulationOptions {
  // Every fourth seed gets a crash-heavy nemesis: durability bugs need many crashes to show.
  return {
    seed,
    faultMs: 15_000 * soak,
    livenessMs: 30_000,
    clients: 4,
    membershipChanges: true,
    nemesis: seed % 4 === 0 ? 'crashes' : 'mixed',
  };
}

function summarise(failures: readonly SimulationReport[]): string {
  return [
    `${failures.length} seed(s) failed; replay each with the command shown.`,
    ...failures.slice(0, 3).map((report) => describeFailure(report, 30)),
    ...failures
      .slice(3)
      .map(
        (r) =>
          `seed ${r.seed}: ${r.failure?.split('\n')[0]} — SIM_SEED=${r.seed} npx vitest run test/consensus/sim`,
      ),
  ].join('\n\n');
}

/** Defines the tests of one part (0-based) of `parts` equal slices of the sweep. */
export function defineSeedSuite(part: number, parts: number): void {
  if (single !== undefined) {
    if (part !== 0) {
      it.skip('the sweep (SIM_SEED replays its one seed in the first part)', () => {});
      return;
    }
    it(`seed ${single}`, () => {
      const report = runSimulation(simulationOptions(single));
      if (!report.ok) expect.fail(describeFailure(report, report.trace.length));
      console.log(`seed ${single}: ok ${JSON.stringify(report.stats)}`);
    });
    return;
  }
  const perPart = Math.ceil(count / parts);
  const first = start + part * perPart;
  const last = Math.min(start + count - 1, first + perPart - 1);
  for (let chunk = first; chunk <= last; chunk += CHUNK) {
    const chunkLast = Math.min(last, chunk + CHUNK - 1);
    it(
      `seeds ${chunk}-${chunkLast} keep Raft's invariants, recover, and stay linearizable`,
      () => {
        const failures: SimulationReport[] = [];
        for (let seed = chunk; seed <= chunkLast; seed++) {
          const report = runSimulation(simulationOptions(seed));
          if (!report.ok) failures.push(report);
        }
        if (failures.length > 0) expect.fail(summarise(failures));
      },
      120_000 * soak,
    );
  }
}
