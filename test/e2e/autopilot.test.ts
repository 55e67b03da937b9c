/**
 * The self-healing control plane with real processes: `kedge up --agents 4` (3 voters + 1 worker
 * on 127.0.0.1-4), the autopilot's grace cut to 3 s through its API. kill -9 of a follower voter
 * -> the worker becomes a voter and the cluster has 3 voters again; kill -9 of the leader -> the
 * new leader's autopilot removes it; the first killed voter restarts and rejoins with a new id
 * (as a voter: there is a gap). A client writes all along through the worker's endpoint.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAgent } from '../../agent/src/cluster/agent-client.ts';
import { down, spawnAgent, type UpResult, up } from '../../agent/src/cluster/local-cluster.ts';

let dir: string;
let cluster: UpResult;
const extraPids: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kedge-autopilot-'));
  const basePort = 20_000 + Math.floor(Math.random() * 200) * 200;
  cluster = await up({ agents: 4, dir, basePort });
}, 90_000);

afterAll(async () => {
  for (const pid of extraPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  if (process.env.KEDGE_KEEP_LOGS) {
    const { cp } = await import('node:fs/promises');
    for (const a of cluster?.agents ?? [])
      await cp(
        path.join(a.dataDir, 'agent.log'),
        path.join(process.env.KEDGE_KEEP_LOGS, `agent-${a.index}.log`),
      );
  }
  if (dir) await down({ dir, purge: true });
  // A kill -9'd agent leaves its podman API service behind: stop those of this test's directory.
  const { readdir, readFile } = await import('node:fs/promises');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (dir && cmdline.includes('system\0service') && cmdline.includes(dir))
      process.kill(Number(entry), 'SIGTERM');
  }
});

const admin = () => ({ ca: cluster.caPem, token: cluster.adminToken, timeoutMs: 1500 });

interface Member {
  id: number;
  role: string;
  apiAddress: string;
  health: string;
  status?: { role: string; leader: number; term: number };
}

async function clusterView(addresses: readonly string[]) {
  for (const address of addresses) {
    try {
      const reply = await callAgent(address, '/kedge/v1/cluster', { ...admin(), timeoutMs: 3000 });
      if (reply.status === 200) return reply.json as { leader: number; members: Member[] };
    } catch {
      // this agent is down: ask the next
    }
  }
  throw new Error('no agent answered /kedge/v1/cluster');
}

/** The Raft configuration as the leader holds it (its voters and learners). */
async function raftConfiguration(addresses: readonly string[]) {
  for (const address of addresses) {
    try {
      const reply = await callAgent(address, '/kedge/v1/autopilot', admin());
      if (reply.status !== 200) continue;
      const conf = reply.json as { leader: number; voters: number[]; learners: number[] };
      if (conf.leader === 0) continue;
      const view = await clusterView(addresses);
      const leader = view.members.find((m) => m.id === conf.leader);
      if (leader === undefined) continue;
      const authoritative = await callAgent(leader.apiAddress, '/kedge/v1/autopilot', admin());
      if (authoritative.status === 200) return { ...(authoritative.json as typeof conf), view };
    } catch {
      // down or mid-election: ask the next
    }
  }
  return undefined;
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A client that creates a ConfigMap every 100 ms through `address`; records every outcome. */
function writer(address: string) {
  let stop = false;
  const acks: number[] = [];
  const failures: { at: number; why: string }[] = [];
  let seq = 0;
  const done = (async () => {
    while (!stop) {
      const at = Date.now();
      const name = `w-${seq++}`;
      try {
        const reply = await callAgent(address, '/api/v1/namespaces/default/configmaps', {
          ...admin(),
          timeoutMs: 5000,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { at: String(at) } },
        });
        if (reply.status === 201) acks.push(at);
        else failures.push({ at, why: `HTTP ${reply.status}` });
      } catch (error) {
        failures.push({ at, why: (error as Error).message });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    acks,
    failures,
    /** The longest time without an acknowledged write within [from, to]. */
    longestGap(from: number, to: number) {
      const points = [from, ...acks.filter((a) => a >= from && a <= to), to];
      let gap = 0;
      for (let i = 1; i < points.length; i++) gap = Math.max(gap, points[i]! - points[i - 1]!);
      return gap;
    },
    async stop() {
      stop = true;
      await done;
    },
  };
}

describe('autopilot', () => {
  it('replaces a killed voter with the worker, then handles a killed leader and a returning voter', async () => {
    const addresses = cluster.agents.map((a) => a.apiAddress);
    const start = await clusterView(addresses);
    const leaderAddress = start.members.find((m) => m.id === start.leader)!.apiAddress;
    const set = await callAgent(leaderAddress, '/kedge/v1/autopilot', {
      ...admin(),
      method: 'PUT',
      body: { deadVoterGraceMs: 3000, stabilizationMs: 1000 },
    });
    expect(set.status, set.text).toBe(200);
    // `up` returns only once the joined voters vote: killing one of two real voters while the
    // third is still a learner would take the quorum, which no autopilot can give back.
    const before = await raftConfiguration(addresses);
    expect(before?.voters).toHaveLength(3);
    expect(before?.learners).toEqual([]);

    // Ids follow the order the joins were admitted, not the agents' numbers: ask for the roles.
    const worker = start.members.find((m) => m.role === 'worker')!;
    const client = writer(worker.apiAddress);
    try {
      // 1. kill -9 a voter that does not lead.
      const victim = start.members.find((m) => m.role === 'voter' && m.id !== start.leader)!;
      const victimAgent = cluster.agents.find((a) => a.apiAddress === victim.apiAddress)!;
      const killedAt = Date.now();
      process.kill(victimAgent.pid, 'SIGKILL');
      const healed = await until('the worker to become a voter', 40_000, async () => {
        const conf = await raftConfiguration(addresses.filter((a) => a !== victim.apiAddress));
        const ready =
          conf !== undefined &&
          conf.voters.length === 3 &&
          conf.voters.includes(worker.id) &&
          !conf.voters.includes(victim.id) &&
          conf.learners.length === 0;
        return ready ? conf.view : undefined;
      });
      const healedMs = Date.now() - killedAt;
      const gap1 = client.longestGap(killedAt, Date.now());
      console.log(
        `autopilot: voter ${victim.id} killed -> worker promoted, 3 voters again after ${healedMs} ms (grace 3000 ms); longest write gap ${gap1} ms`,
      );
      expect(healed.members.filter((m) => m.status?.role === 'leader')).toHaveLength(1);
      expect(gap1).toBeLessThan(5000);

      // 2. kill -9 the leader: a new leader is elected and its autopilot removes the old one.
      //    Not before every voter applied the promotion: a follower that has the entry but has
      //    not heard it committed still counts the old two voters, one of them the leader, and
      //    two voters out of such views cannot elect anyone (two failures in a row, for Raft).
      await until('every voter to apply the promotion', 20_000, async () => {
        const view = await clusterView(addresses.filter((a) => a !== victim.apiAddress));
        const voters = view.members.filter((m) => m.role === 'voter');
        return voters.length === 3 &&
          voters.every((m) => m.status?.role === 'leader' || m.status?.role === 'candidate')
          ? true
          : undefined;
      });
      const leader = healed.members.find((m) => m.id === healed.leader)!;
      const leaderAgent = cluster.agents.find((a) => a.apiAddress === leader.apiAddress)!;
      const leaderKilledAt = Date.now();
      process.kill(leaderAgent.pid, 'SIGKILL');
      const live = addresses.filter((a) => a !== victim.apiAddress && a !== leader.apiAddress);
      const afterLeader = await until('the dead leader to be removed', 40_000, async () => {
        const conf = await raftConfiguration(live);
        const gone = conf !== undefined && !conf.voters.includes(leader.id) && conf.voters.length === 2;
        return gone ? conf.view : undefined;
      });
      const removedMs = Date.now() - leaderKilledAt;
      const gap2 = client.longestGap(leaderKilledAt, Date.now());
      console.log(
        `autopilot: leader ${leader.id} killed -> new leader ${afterLeader.leader}, old leader removed after ${removedMs} ms; longest write gap ${gap2} ms`,
      );
      // The registry agrees (it retires before Raft removes, so a fresh view shows it).
      const registryView = await clusterView(live);
      expect(registryView.members.filter((m) => m.role === 'voter').map((m) => m.id)).not.toContain(
        leader.id,
      );
      expect(gap2).toBeLessThan(5000);

      // 3. the first killed voter comes back: it was removed, so it rejoins with a new id, as a
      //    voter (the cluster has a gap), and the cluster has 3 voters again.
      const returnedAt = Date.now();
      const child = spawnAgent(victimAgent.dataDir);
      extraPids.push(child.pid ?? 0);
      const rejoined = await until('the returning voter to rejoin', 40_000, async () => {
        const conf = await raftConfiguration(live);
        const back = conf?.view.members.find((m) => m.apiAddress === victim.apiAddress);
        return back && back.id !== victim.id && conf?.voters.length === 3 && conf.voters.includes(back.id)
          ? { back }
          : undefined;
      });
      console.log(
        `autopilot: voter ${victim.id} came back as node ${rejoined.back.id} (${rejoined.back.status?.role}) after ${Date.now() - returnedAt} ms`,
      );
      expect(rejoined.back.id).toBeGreaterThan(4);
    } finally {
      await client.stop();
    }
    // Writes kept working: most of them were acknowledged, none failed for long.
    expect(client.acks.length).toBeGreaterThan(20);
  }, 150_000);
});
