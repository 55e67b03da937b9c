/**
 * `kedge up --agents N` / `kedge down`: a cluster of N agent processes on this machine, agent i on
 * 127.0.0.i with its own ports, all data under one directory.
 *
 *   init agent-1 -> start it -> wait until it leads -> start agents 2..N with --join agent-1
 *   (voter token: the first joiners become voters up to the voter count, the rest workers)
 *   -> wait until every member is healthy and no voter is still a learner -> D/kubeconfig
 *   D/cluster.json lists the pids, so `kedge down` can stop exactly those processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { copyFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploySampleWorkload, removeNodeContainers, type SampleResult } from '../control/sample-workload.ts';
import { type DatastoreFlags, datastoreArgs } from '../store-etcd/datastore.ts';
import { callAgent } from './agent-client.ts';
import { dataPaths, writeJsonFile } from './data-dir.ts';
import { initCluster } from './init.ts';

const agentMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'agent-main.ts');

export interface UpOptions {
  readonly agents: number;
  readonly dir: string;
  /** Agent i serves its API on basePort + i and Raft on basePort + 100 + i. Default 16400. */
  readonly basePort?: number;
  readonly voters?: number;
  readonly progress?: (line: string) => void;
  readonly timeoutMs?: number;
  /**
   * Agent i is named `<namePrefix>-<i>` (default `agent`): its Node, and the io.kedge.node label
   * on its containers, by which `down` removes them. Two local clusters on one machine need
   * different prefixes, or `down` of one removes the other's containers.
   */
  readonly namePrefix?: string;
  /** Every agent keeps its objects in this external etcd (`--datastore`, store-etcd/README.md). */
  readonly datastore?: DatastoreFlags;
  /** Deploy the sample workload (control/sample-workload.ts) once the cluster is ready. */
  readonly sample?: { readonly replicas?: number; readonly nodePort?: number };
}

export interface LocalAgent {
  readonly index: number;
  /** The agent's (and its Node's) name; absent in files written before names were recorded. */
  readonly name?: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly apiAddress: string;
}

export interface LocalClusterFile {
  readonly agents: LocalAgent[];
  readonly kubeconfig: string;
  readonly adminToken: string;
  readonly caPem: string;
  readonly workerToken: string;
  readonly voterToken: string;
}

export interface UpResult extends LocalClusterFile {
  /** From starting the first agent until it led. */
  readonly electedMs: number;
  /** From the start until every member was healthy. */
  readonly readyMs: number;
  /** The sample workload, when asked for. */
  readonly sample?: SampleResult;
}

export class LocalClusterError extends Error {
  readonly kind = 'LocalCluster';
}

const clusterFile = (dir: string) => path.join(dir, 'cluster.json');

export async function up(options: UpOptions): Promise<UpResult> {
  const dir = path.resolve(options.dir);
  const n = options.agents;
  if (!Number.isInteger(n) || n < 1 || n > 250)
    throw new LocalClusterError('--agents must be between 1 and 250');
  if (existsSync(clusterFile(dir))) {
    throw new LocalClusterError(
      `${dir} already holds a local cluster; run \`kedge down --dir ${dir}\` first`,
    );
  }
  const say = options.progress ?? (() => {});
  const base = options.basePort ?? 16400;
  const voters = options.voters ?? (n >= 3 ? 3 : 1);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const apiAddress = (i: number) => `127.0.0.${i}:${base + i}`;
  const dataDir = (i: number) => path.join(dir, `agent-${i}`);
  const nameOf = (i: number) => `${options.namePrefix ?? 'agent'}-${i}`;
  const storeArgs = options.datastore === undefined ? [] : datastoreArgs(options.datastore);
  if (storeArgs instanceof Error) throw new LocalClusterError(storeArgs.message);

  say(`initialising a cluster of ${n} agent(s) (${Math.min(voters, n)} voter(s)) in ${dir}`);
  const init = await initCluster({
    dataDir: dataDir(1),
    advertise: '127.0.0.1',
    apiPort: base + 1,
    raftPort: base + 101,
    voters,
    kubeconfig: path.join(dir, 'kubeconfig'),
    name: nameOf(1),
  });
  const caPem = await readFile(path.join(dataPaths(dataDir(1)).pki, 'ca.crt'), 'utf8');
  const agents: LocalAgent[] = [];
  const saveFile = () =>
    writeJsonFile(clusterFile(dir), {
      agents,
      kubeconfig: init.kubeconfig,
      adminToken: init.adminToken,
      caPem,
      workerToken: init.workerToken,
      voterToken: init.voterToken,
    } satisfies LocalClusterFile);

  const launch = async (i: number, args: string[]): Promise<void> => {
    const child = spawnAgent(dataDir(i), args);
    agents.push({
      index: i,
      name: nameOf(i),
      pid: child.pid ?? 0,
      dataDir: dataDir(i),
      apiAddress: apiAddress(i),
    });
    await saveFile();
  };
  const status = async (address: string) => {
    const reply = await callAgent(address, '/kedge/v1/node', {
      ca: caPem,
      token: init.adminToken,
      timeoutMs: 1000,
    });
    return reply.status === 200 ? (reply.json as { role: string; term: number }) : undefined;
  };

  const t0 = Date.now();
  try {
    say('starting agent-1 on 127.0.0.1');
    await launch(1, storeArgs);
    let electedMs = 0;
    for (;;) {
      const s = await status(apiAddress(1)).catch(() => undefined);
      if (s?.role === 'leader') {
        electedMs = Date.now() - t0;
        say(`agent-1 leads (term ${s.term}) after ${electedMs} ms`);
        break;
      }
      if (Date.now() > deadline)
        throw new LocalClusterError('agent-1 did not become leader in time; see its agent.log');
      await sleep(50);
    }
    for (let i = 2; i <= n; i++) {
      say(`starting agent-${i} on 127.0.0.${i}`);
      await launch(i, [
        '--join',
        apiAddress(1),
        '--token',
        init.voterToken,
        '--advertise',
        `127.0.0.${i}`,
        '--api-port',
        String(base + i),
        '--raft-port',
        String(base + 100 + i),
        '--name',
        nameOf(i),
        ...storeArgs,
      ]);
    }
    const seen = new Map<number, string>();
    for (;;) {
      const reply = await callAgent(apiAddress(1), '/kedge/v1/cluster', {
        ca: caPem,
        token: init.adminToken,
        timeoutMs: 3000,
      }).catch(() => undefined);
      const members = (reply?.json?.members ?? []) as {
        id: number;
        name: string;
        health: string;
        status?: { role: string };
      }[];
      for (const m of members) {
        const role = m.status?.role ?? m.health;
        if (seen.get(m.id) !== role) {
          seen.set(m.id, role);
          say(`  ${m.name} (node ${m.id}): ${role}`);
        }
      }
      const ready =
        members.length === n &&
        members.every((m) => m.health === 'healthy' && m.status && m.status.role !== 'learner');
      if (ready) break;
      if (Date.now() > deadline)
        throw new LocalClusterError(
          `the cluster was not ready in time (${members.length}/${n} members); see the agents' agent.log`,
        );
      await sleep(100);
    }
    const readyMs = Date.now() - t0;
    say(`cluster ready after ${readyMs} ms`);
    let sample: SampleResult | undefined;
    if (options.sample !== undefined) {
      say('deploying the sample workload (Deployment hello, Service hello)');
      sample = await deploySampleWorkload({
        apiAddress: apiAddress(1),
        caPem,
        token: init.adminToken,
        nodes: n,
        ...options.sample,
        progress: say,
        timeoutMs: Math.max(30_000, deadline - Date.now()),
      });
      say(`sample workload running after ${sample.runningMs} ms`);
    }
    return {
      agents,
      kubeconfig: init.kubeconfig,
      adminToken: init.adminToken,
      caPem,
      workerToken: init.workerToken,
      voterToken: init.voterToken,
      electedMs,
      readyMs,
      ...(sample !== undefined ? { sample } : {}),
    };
  } catch (error) {
    // Leave nothing running behind a failed start.
    await down({ dir });
    throw error;
  }
}

/** Starts one agent process, detached, its output in <dataDir>/agent.log. */
export function spawnAgent(dataDir: string, extraArgs: readonly string[] = []): ChildProcess {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = openSync(path.join(dataDir, 'agent.log'), 'a');
  const child = spawn(process.execPath, [agentMain, '--data-dir', dataDir, ...extraArgs], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  return child;
}

export async function readLocalCluster(dir: string): Promise<LocalClusterFile> {
  const file = clusterFile(path.resolve(dir));
  if (!existsSync(file))
    throw new LocalClusterError(`no local cluster in ${path.resolve(dir)} (no cluster.json)`);
  return JSON.parse(await readFile(file, 'utf8')) as LocalClusterFile;
}

/** Stops the agents `up` started (SIGTERM, then SIGKILL after 3 s); with purge, removes the directory. */
export async function down(options: {
  dir: string;
  purge?: boolean;
  progress?: (line: string) => void;
}): Promise<number> {
  const dir = path.resolve(options.dir);
  const file = clusterFile(dir);
  let stopped = 0;
  if (existsSync(file)) {
    const cluster = JSON.parse(await readFile(file, 'utf8')) as LocalClusterFile;
    await Promise.all(
      cluster.agents.map(async (agent) => {
        if (await stopProcess(agent.pid)) {
          stopped++;
          options.progress?.(`stopped agent-${agent.index} (pid ${agent.pid})`);
        }
      }),
    );
    // The agents' containers outlive them (a restarted agent adopts its pods): remove them.
    const names = cluster.agents.map((a) => a.name ?? `agent-${a.index}`);
    const removed = await removeNodeContainers(names);
    if (removed > 0) options.progress?.(`removed ${removed} pod(s) and container(s) of ${names.join(', ')}`);
    await rm(file, { force: true });
  }
  if (options.purge) await rm(dir, { recursive: true, force: true });
  return stopped;
}

async function stopProcess(pid: number): Promise<boolean> {
  if (pid <= 0 || !alive(pid)) return false;
  // A pid recorded long ago may belong to another program now: stop only our agent.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('agent-main.ts')) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 3000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Copies the kubeconfig elsewhere (e.g. ~/.kube/config) on request. */
export async function exportKubeconfig(dir: string, to: string): Promise<void> {
  await copyFile(path.join(path.resolve(dir), 'kubeconfig'), to);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
