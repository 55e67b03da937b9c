// The API's cost over its consensus, same machine, same run: 3 kedge agent processes (Raft over
// mutual TLS, HTTPS API, no workloads) against 3 kv-server processes (the consensus library's
// example, mutual TLS) and 3 etcd 3.4 members. Values of 256 B everywhere.
//   1. create throughput and latency at 1/16/64 clients: POST a ConfigMap (256 B value) to the
//      leader's API over keep-alive HTTPS vs a raw consensus write (kv-server PUT) vs an etcd put;
//      the three take turns (api, kv, etcd, api, ...) so load from elsewhere hits all alike.
//   2. watch fan-out: N watchers (default 1,000, spread over the 3 agents, one HTTPS stream each,
//      fieldSelector metadata.name=<one ConfigMap>) — an update is made, time until each watcher
//      has the MODIFIED event; p50/p99/max over several updates.
//
//   node_modules/.bin/node bench/apiserver/api-vs-consensus.ts
//   BENCH_SECONDS=6 BENCH_ROUNDS=3 BENCH_WATCHERS=1000 BENCH_UPDATES=5 BENCH_ONLY=throughput|fanout

import { existsSync } from 'node:fs';
import { Agent, request } from 'node:https';
import os from 'node:os';
import { createSecureContext } from 'node:tls';
import { KvCluster } from '../../consensus/example/kv-cluster.ts';
import { EtcdCluster } from '../consensus/etcd-cluster.ts';
import { closedLoop, type LoadResult, percentile } from '../consensus/measure.ts';
import { AgentProcesses } from './agent-processes.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
const updates = Number(process.env.BENCH_UPDATES ?? 5);
const only = process.env.BENCH_ONLY;
const concurrencies = [1, 16, 64];
const value = new Uint8Array(256).fill(0x61);
const valueText = 'a'.repeat(256);

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

/** One HTTPS request on a keep-alive agent; resolves with the status and body. */
function https(
  agent: Agent,
  address: string,
  ca: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':') as [string, string];
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method,
        path,
        agent,
        ca,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

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

async function throughput(api: AgentProcesses, kv: KvCluster, etcd: EtcdCluster) {
  const leader = await api.leader();
  const address = api.apiAddresses[leader]!;
  let seq = 0;
  const results = new Map<number, { api: LoadResult; kv: LoadResult; etcd: LoadResult }>();
  for (const c of concurrencies) {
    const agent = new Agent({ keepAlive: true, maxSockets: c });
    const apiPoint = (secs: number) =>
      closedLoop(c, secs, async () => {
        const r = await https(
          agent,
          address,
          api.caPem,
          api.adminToken,
          'POST',
          '/api/v1/namespaces/default/configmaps',
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `bench-${++seq}` },
            data: { v: valueText },
          },
        );
        return r.status === 201;
      });
    const kvLeader = await kv.waitForLeader(20_000);
    const kvPoint = (secs: number) =>
      closedLoop(
        c,
        secs,
        async (w, n) => (await kv.put(kvLeader, `b-${c}-${w}-${n % 1000}`, value, 5000)).status === 200,
      );
    const etcdLeader = await etcd.waitForLeader(20_000);
    const etcdPoint = (secs: number) =>
      closedLoop(
        c,
        secs,
        async (w, n) => (await etcd.put(etcdLeader, `b-${c}-${w}-${n % 1000}`, value, 5000)).status === 200,
      );
    await apiPoint(1); // warm-up: connections, JIT
    await kvPoint(1);
    await etcdPoint(1);
    const a: LoadResult[] = [];
    const k: LoadResult[] = [];
    const e: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      a.push(await apiPoint(seconds / rounds));
      k.push(await kvPoint(seconds / rounds));
      e.push(await etcdPoint(seconds / rounds));
    }
    agent.destroy();
    results.set(c, { api: merge(a), kv: merge(k), etcd: merge(e) });
  }
  return results;
}

/** Opens `count` watch streams spread over the agents; resolves once every one has its initial ADDED. */
async function fanout(api: AgentProcesses) {
  const name = 'fanout-target';
  const base = '/api/v1/namespaces/default/configmaps';
  const created = await api.call(0, base, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: '0' } },
  });
  if (created.status !== 201) throw new Error(`cannot create the watched ConfigMap: ${created.text}`);
  const receivedAt: number[][] = Array.from({ length: updates }, () => []);
  const requests: ReturnType<typeof request>[] = [];
  let ready = 0;
  // One parsed CA for all streams (`ca` per request parses the PEM again for every connection);
  // one socket per stream, and no session reuse, so every stream pays a full TLS handshake as
  // 1,000 separate clients would.
  const streams = new Agent({
    secureContext: createSecureContext({ ca: api.caPem }),
    maxSockets: Number.POSITIVE_INFINITY,
    maxCachedSessions: 0,
  });
  const opened = performance.now();
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < watchers; i++) {
      const [host, port] = api.apiAddresses[i % api.apiAddresses.length]!.split(':') as [string, string];
      let buffered = '';
      let sawInitial = false;
      const req = request(
        {
          host,
          port: Number(port),
          path: `${base}?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
          agent: streams,
          headers: { authorization: `Bearer ${api.adminToken}` },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`watch ${i} answered ${res.statusCode}`));
          // A stream that ends before its ADDED (an ERROR event: 503 during an election, 410)
          // would otherwise leave the count short and the run waiting forever.
          res.on('close', () => {
            if (!sawInitial)
              reject(new Error(`watch ${i} ended before its ADDED (${ready} of ${watchers} ready)`));
          });
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              const event = JSON.parse(line) as { type: string; object: { data?: { n?: string } } };
              if (event.type === 'ADDED' && !sawInitial) {
                sawInitial = true;
                if (++ready === watchers) resolve();
              } else if (event.type === 'ERROR') {
                reject(new Error(`watch ${i} got an ERROR event: ${line.slice(0, 300)}`));
              } else if (event.type === 'MODIFIED') {
                receivedAt[Number(event.object.data?.n) - 1]?.push(performance.now());
              }
            }
          });
          // destroy() at the end aborts the stream: expected.
          res.on('error', () => undefined);
        },
      );
      req.on('error', (error) => {
        if (ready < watchers) reject(error);
      });
      req.end();
      requests.push(req);
    }
  });
  const openMs = performance.now() - opened;
  const delivery: number[] = [];
  let incomplete = 0;
  for (let u = 0; u < updates; u++) {
    const current = await api.call(0, `${base}/${name}`);
    const sent = performance.now();
    const r = await api.call(0, `${base}/${name}`, {
      method: 'PUT',
      body: { ...current.json, data: { n: String(u + 1) } },
    });
    if (r.status !== 200) throw new Error(`update failed: ${r.text}`);
    const deadline = performance.now() + 10_000;
    while (receivedAt[u]!.length < watchers && performance.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    incomplete += watchers - receivedAt[u]!.length;
    for (const t of receivedAt[u]!) delivery.push(t - sent);
    await new Promise((res) => setTimeout(res, 500));
  }
  for (const req of requests) req.destroy();
  streams.destroy();
  delivery.sort((a, b) => a - b);
  return { openMs, delivery, incomplete };
}

if (!existsSync('/usr/bin/etcd')) {
  console.error('etcd is not installed: apt-get install -y etcd-server (scripts/setup.sh does)');
  process.exit(1);
}

console.log(
  `# kedge API vs its consensus vs etcd 3.4 — 3 members each on 127.0.0.x, 256 B values, ${seconds} s per point`,
);
console.log(`# ${os.cpus().length} cores; load average at start (1/5/15 min): ${load()}`);

const api = await AgentProcesses.start();
try {
  if (only !== 'fanout') {
    const kv = await KvCluster.create({ tls: true, tickMs: 100, electionTick: 5, heartbeatTick: 1 });
    const etcd = await EtcdCluster.create({ heartbeatMs: 100, electionMs: 1000 });
    try {
      await kv.startAll();
      await etcd.startAll();
      const results = await throughput(api, kv, etcd);
      console.log(
        '\n## Creates through the API vs raw consensus writes vs etcd puts (closed loop, keep-alive)\n',
      );
      console.log(
        row([
          'clients',
          'API creates/s',
          'raft kv w/s',
          'etcd puts/s',
          'API/raft',
          'API/etcd',
          'API p50 ms',
          'raft p50',
          'etcd p50',
          'API p99 ms',
          'raft p99',
          'etcd p99',
          'p99 API/raft',
        ]),
      );
      console.log(row(Array(13).fill('---')));
      for (const c of concurrencies) {
        const { api: a, kv: k, etcd: e } = results.get(c)!;
        console.log(
          row([
            String(c),
            fmt(a.perSecond),
            fmt(k.perSecond),
            fmt(e.perSecond),
            fmt(a.perSecond / k.perSecond, 2),
            fmt(a.perSecond / e.perSecond, 2),
            fmt(a.p50Ms, 2),
            fmt(k.p50Ms, 2),
            fmt(e.p50Ms, 2),
            fmt(a.p99Ms, 2),
            fmt(k.p99Ms, 2),
            fmt(e.p99Ms, 2),
            fmt(a.p99Ms / k.p99Ms, 2),
          ]),
        );
        if (a.errors + k.errors + e.errors > 0)
          console.log(`  (errors: API ${a.errors}, raft ${k.errors}, etcd ${e.errors})`);
      }
    } finally {
      await kv.destroy();
      await etcd.destroy();
    }
  }
  if (only !== 'throughput') {
    const { openMs, delivery, incomplete } = await fanout(api);
    console.log(
      `\n## Watch fan-out: ${watchers} HTTPS watchers of one ConfigMap over 3 agents, ${updates} updates\n`,
    );
    console.log(`opening all streams (TLS handshakes + initial ADDED): ${fmt(openMs)} ms`);
    console.log(
      `update sent -> MODIFIED at the watcher: p50 ${fmt(percentile(delivery, 50), 1)} ms, p99 ${fmt(percentile(delivery, 99), 1)} ms, max ${fmt(delivery.at(-1) ?? Number.NaN, 1)} ms (${delivery.length} deliveries, ${incomplete} missing)`,
    );
  }
} finally {
  await api.stop();
}
console.log(`\n# load average at end: ${load()}`);
