// kedge's Raft (3 kv-server processes, real WAL, TCP transport) against etcd 3.4 (3 members), same
// machine, same 256 B values, keep-alive HTTP, writes sent to the leader:
//   1. writes/s and commit latency at client concurrency 1, 16, 64;
//   2. failover: kill -9 (and SIGSTOP) of the leader while a client writes through a follower,
//      time to the next successful write, for etcd (heartbeat 100 ms, election 1000 ms), for us at
//      the same settings and at our defaults.
//
//   node_modules/.bin/node bench/consensus/raft-vs-etcd.ts
//   BENCH_SECONDS=6 BENCH_ROUNDS=3 BENCH_TRIALS=10 BENCH_TLS=1 BENCH_ONLY=throughput|failover

import { existsSync } from 'node:fs';
import { KvCluster } from '../../consensus/example/kv-cluster.ts';
import { EtcdCluster } from './etcd-cluster.ts';
import { closedLoop, type LoadResult, percentile, sleep, timeToNextWrite } from './measure.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const trials = Number(process.env.BENCH_TRIALS ?? 10);
const useTls = process.env.BENCH_TLS === '1';
const only = process.env.BENCH_ONLY;
const concurrencies = [1, 16, 64];
const value = new Uint8Array(256).fill(0x61);

/** What both systems offer the benchmark. */
interface Cluster {
  readonly members: readonly { id: number }[];
  start(id: number): Promise<void>;
  signal(id: number, signal: NodeJS.Signals): Promise<void>;
  waitForLeader(timeoutMs?: number, excluding?: number): Promise<number>;
  put(id: number, key: string, value: Uint8Array, timeoutMs?: number): Promise<{ status: number }>;
  destroy(): Promise<void>;
}

/** One measurement point on one cluster, writes sent to its leader. */
async function point(cluster: Cluster, c: number, secs: number): Promise<LoadResult> {
  const leader = await cluster.waitForLeader(20_000);
  return closedLoop(
    c,
    secs,
    async (worker, n) =>
      (await cluster.put(leader, `bench-${c}-${worker}-${n % 1000}`, value, 5000)).status === 200,
  );
}

/** Merges rounds: total ops over total time; latency percentiles weighted by round (approximate). */
function merge(results: LoadResult[]): LoadResult {
  const ops = results.reduce((a, r) => a + r.ops, 0);
  const secs = results.reduce((a, r) => a + r.seconds, 0);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return {
    ops,
    errors: results.reduce((a, r) => a + r.errors, 0),
    seconds: secs,
    perSecond: ops / secs,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
  };
}

/**
 * Both clusters run side by side and take turns (etcd, kedge, etcd, kedge, ...) at each point,
 * so that load from elsewhere on the machine hits both alike.
 */
async function throughput(etcdCluster: Cluster, ourCluster: Cluster) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const out = new Map<number, { etcd: LoadResult; kedge: LoadResult }>();
  for (const c of concurrencies) {
    await point(etcdCluster, c, 1); // warm-up: connections, JIT
    await point(ourCluster, c, 1);
    const e: LoadResult[] = [];
    const k: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      e.push(await point(etcdCluster, c, seconds / rounds));
      k.push(await point(ourCluster, c, seconds / rounds));
    }
    out.set(c, { etcd: merge(e), kedge: merge(k) });
  }
  return out;
}

interface FailoverResult {
  readonly ms: number[];
}

async function failover(
  cluster: Cluster,
  signal: 'SIGKILL' | 'SIGSTOP',
  restartKilled: boolean,
): Promise<FailoverResult> {
  const ms: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const leader = await cluster.waitForLeader(20_000);
    const client = cluster.members.find((m) => m.id !== leader)!.id;
    const elapsed = await timeToNextWrite(
      async (n) => (await cluster.put(client, `failover-${trial}-${n % 100}`, value, 1000)).status === 200,
      () => cluster.signal(leader, signal),
    );
    ms.push(elapsed);
    if (signal === 'SIGSTOP') await cluster.signal(leader, 'SIGCONT');
    else if (restartKilled) await cluster.start(leader);
    // Let the old leader catch up and the cluster settle before the next trial.
    await cluster.waitForLeader(20_000);
    await sleep(1500);
  }
  return { ms };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

async function withCluster<T>(make: () => Promise<Cluster>, run: (c: Cluster) => Promise<T>): Promise<T> {
  const cluster = await make();
  try {
    return await run(cluster);
  } finally {
    await cluster.destroy();
  }
}

async function etcd(): Promise<Cluster> {
  const cluster = await EtcdCluster.create({ heartbeatMs: 100, electionMs: 1000 });
  await cluster.startAll();
  return cluster;
}

async function ours(settings: { electionTick: number; heartbeatTick: number }): Promise<Cluster> {
  const cluster = await KvCluster.create({ tls: useTls, tickMs: 100, ...settings });
  await cluster.startAll();
  return cluster;
}

const sameAsEtcd = { electionTick: 10, heartbeatTick: 1 };
const defaults = { electionTick: 5, heartbeatTick: 1 };

if (!existsSync('/usr/bin/etcd')) {
  console.error('etcd is not installed: apt-get install -y etcd-server (scripts/setup.sh does)');
  process.exit(1);
}

console.log(
  `# kedge raft vs etcd 3.4 — 3 members on 127.0.0.1, 256 B values, ${seconds} s per point, ${trials} failover trials`,
);
console.log(`# kedge transport: ${useTls ? 'mutual TLS' : 'plain TCP'}; etcd peer traffic: plain HTTP`);

if (only !== 'failover') {
  const load = await withCluster(etcd, (e) =>
    withCluster(
      () => ours(defaults),
      (k) => throughput(e, k),
    ),
  );
  console.log('\n## Writes through the leader (closed loop, keep-alive HTTP)\n');
  console.log(
    row([
      'clients',
      'etcd w/s',
      'kedge w/s',
      'ratio',
      'etcd p50 ms',
      'kedge p50 ms',
      'etcd p99 ms',
      'kedge p99 ms',
      'p99 ratio',
    ]),
  );
  console.log(row(Array(9).fill('---')));
  for (const c of concurrencies) {
    const { etcd: e, kedge: k } = load.get(c)!;
    console.log(
      row([
        String(c),
        fmt(e.perSecond),
        fmt(k.perSecond),
        fmt(k.perSecond / e.perSecond, 2),
        fmt(e.p50Ms, 2),
        fmt(k.p50Ms, 2),
        fmt(e.p99Ms, 2),
        fmt(k.p99Ms, 2),
        fmt(k.p99Ms / e.p99Ms, 2),
      ]),
    );
    if (e.errors + k.errors > 0) console.log(`  (errors: etcd ${e.errors}, kedge ${k.errors})`);
  }
}

if (only !== 'throughput') {
  const runs: Array<[string, FailoverResult]> = [];
  await withCluster(etcd, async (c) => {
    runs.push(['etcd hb 100 / election 1000, kill -9', await failover(c, 'SIGKILL', true)]);
    runs.push(['etcd hb 100 / election 1000, SIGSTOP', await failover(c, 'SIGSTOP', false)]);
  });
  await withCluster(
    () => ours(sameAsEtcd),
    async (c) => {
      runs.push(['kedge tick 100, hb 1, election 10, kill -9', await failover(c, 'SIGKILL', true)]);
      runs.push(['kedge tick 100, hb 1, election 10, SIGSTOP', await failover(c, 'SIGSTOP', false)]);
    },
  );
  await withCluster(
    () => ours(defaults),
    async (c) => {
      runs.push(['kedge defaults (election 5), kill -9', await failover(c, 'SIGKILL', true)]);
      runs.push(['kedge defaults (election 5), SIGSTOP', await failover(c, 'SIGSTOP', false)]);
    },
  );
  console.log(
    '\n## Failover: leader disrupted while a client writes through a follower; time to next successful write\n',
  );
  console.log(row(['setup', 'trials', 'p50 ms', 'p99 ms', 'max ms']));
  console.log(row(Array(5).fill('---')));
  for (const [name, result] of runs) {
    const sorted = [...result.ms].sort((a, b) => a - b);
    console.log(
      row([
        name,
        String(sorted.length),
        fmt(percentile(sorted, 50)),
        fmt(percentile(sorted, 99)),
        fmt(sorted.at(-1) ?? Number.NaN),
      ]),
    );
  }
  const p99 = (i: number) =>
    percentile(
      [...(runs[i]?.[1].ms ?? [])].sort((a, b) => a - b),
      99,
    );
  console.log(
    `\nratio kill -9 p99, kedge(same settings)/etcd: ${fmt(p99(2) / p99(0), 2)}; kedge(defaults)/etcd: ${fmt(p99(4) / p99(0), 2)}`,
  );
  console.log(
    `ratio SIGSTOP p99, kedge(same settings)/etcd: ${fmt(p99(3) / p99(1), 2)}; kedge(defaults)/etcd: ${fmt(p99(5) / p99(1), 2)}`,
  );
}
