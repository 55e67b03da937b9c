/**
 * kedge beside Docker Swarm on this machine, in one run: a 10-replica workload from apply to all
 * Running, scaling 10 -> 50, a killed container replaced, and (kedge only: a one-node swarm has no
 * other node) node death -> replacements Running, with where that time went. A benchmark, never a
 * test: it takes minutes and installs nothing (needs podman, the kedge busybox image, docker.io).
 *
 *   node_modules/.bin/node bench/cluster/vs-swarm.ts [killTrials=5] [deathTrials=6] [both|kedge|swarm]
 *
 *   kedge side (kedge-side.ts) ─> cluster down ─> swarm side (docker-daemon.ts, swarm-side.ts)
 *   ─> dockerd stopped, its links and iptables rules removed ─> table with ratios
 */
import { loadavg } from 'node:os';
import { type DockerDaemon, startDockerSwarm } from './docker-daemon.ts';
import type { DeathStages } from './kedge-node-death.ts';
import { emptyKedgeResults, runKedgeSide } from './kedge-side.ts';
import { runSwarmSide, type SwarmResults } from './swarm-side.ts';
import { describeFigure, type Figure, percentile } from './timing.ts';

const killTrials = Number(process.argv[2] ?? 5);
const deathTrials = Number(process.argv[3] ?? 6);
const sides = process.argv[4] ?? 'both';
const log = (line: string) => console.log(line);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const loadBefore = load();
log(`load average before: ${loadBefore} (1/5/15 min) on this 2-core machine`);

const kedge = emptyKedgeResults();
let swarm: SwarmResults | undefined;
let docker: DockerDaemon | undefined;
const failures: string[] = [];
if (sides !== 'swarm')
  try {
    log('kedge: 3 agents');
    await runKedgeSide({ killTrials, deathTrials, log }, kedge);
  } catch (error) {
    failures.push(`kedge side: ${(error as Error).message}`);
  }
const loadMid = load();
if (sides !== 'kedge')
  try {
    log('swarm: dockerd + one-node swarm');
    docker = await startDockerSwarm(log);
    swarm = await runSwarmSide(docker, { killTrials, log });
  } catch (error) {
    failures.push(`swarm side: ${(error as Error).message}`);
  } finally {
    const notes = (await docker?.stop()) ?? [];
    if (notes.length > 0) log(`swarm cleanup notes: ${notes.join('; ')}`);
  }
const loadAfter = load();

const p50 = (f: Figure | undefined) =>
  f === undefined || f.samples.length === 0 ? Number.NaN : percentile(f.samples, 50);
const ratio = (a: Figure | undefined, b: Figure | undefined) => {
  const r = p50(a) / p50(b);
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a';
};
const rows: [string, Figure | undefined, Figure | undefined][] = [
  ['10 replicas: apply -> all Running', kedge.deploy10, swarm?.deploy10],
  ['scale 10 -> 50: all Running', kedge.scale10to50, swarm?.scale10to50],
  ['killed container back (swarm delay 0 s)', kedge.killedContainer, swarm?.killedContainerNoDelay],
  ['killed container back (swarm default 5 s)', kedge.killedContainer, swarm?.killedContainerDefault],
  ['node death -> replacements Running', kedge.nodeDeath, undefined],
];
const width = [44, 36, 36, 8];
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i] ?? 10)).join(' | ');
log('');
log(line(['scenario', 'kedge (3 agents)', 'Docker Swarm (1 node)', 'kedge/swarm p50']));
log(line(width.map((w) => '-'.repeat(w))));
for (const [name, k, s] of rows) log(line([name, describeFigure(k), describeFigure(s), ratio(k, s)]));

if (kedge.deathStages.length > 0) {
  const stage = (pick: (s: DeathStages) => number) => {
    const v = kedge.deathStages.map(pick).filter(Number.isFinite);
    return v.length === 0
      ? 'n/a'
      : `p50 ${Math.round(percentile(v, 50))} / max ${Math.round(Math.max(...v))}`;
  };
  log('');
  log(
    'node death, ms after kill -9 (polled every 100 ms; each stage is when the last replacement reached it):',
  );
  log(`  pods on the dead node           ${stage((s) => s.podsOnNode)}`);
  log(`  detected (tainted / NotReady)   ${stage((s) => s.detectedMs)}`);
  log(`  evicted (first pod deleted)     ${stage((s) => s.evictedMs)}`);
  log(`  replacements created            ${stage((s) => s.createdMs)}`);
  log(`  replacements bound (scheduled)  ${stage((s) => s.boundMs)}`);
  log(`  replacements Running + Ready    ${stage((s) => s.runningMs)}`);
  const p99 = percentile(kedge.nodeDeath.samples, 99);
  log(`  target p99 < 5000 ms: ${p99 < 5000 ? 'met' : `MISSED (p99 ${Math.round(p99)} ms)`}`);
}
log('');
log(`load average: before ${loadBefore}; after kedge ${loadMid}; after swarm ${loadAfter}`);
for (const f of failures) log(`FAILED ${f}`);
process.exitCode = failures.length > 0 ? 1 : 0;
