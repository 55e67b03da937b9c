// Three kv-server processes (mutual TLS, real WAL files) on 127.0.0.1; clients write all the time
// while the leader is killed with SIGKILL again and again and restarted. No acknowledged write may
// be lost, and the cluster must take writes again after every kill.
// KEDGE_KILL_ROUNDS=50 for a longer soak (default 5).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvCluster } from '../../../consensus/example/kv-cluster.ts';

const rounds = Number(process.env.KEDGE_KILL_ROUNDS ?? 5);
let cluster: KvCluster;

beforeAll(async () => {
  cluster = await KvCluster.create({
    size: 3,
    tls: true,
    tickMs: 100,
    electionTick: 5,
    heartbeatTick: 1,
    snapshotEntries: 500,
  });
  await cluster.startAll();
  await cluster.waitForLeader(15_000);
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});

/**
 * A linearizable GET, retried while it fails for availability (leader change mid-read, timeout):
 * reads are idempotent, and a lost write answers 404 however often it is asked.
 */
async function readWithRetry(id: number, key: string): Promise<string> {
  let outcome = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await cluster
      .get(id, key, 5000)
      .catch((error: Error) => ({ status: 0, body: Buffer.from(error.message) }));
    if (response.status === 200) return response.body.toString();
    outcome = `${response.status} ${response.body.toString().slice(0, 160)}`;
    if (response.status === 404) return outcome;
    await new Promise((r) => setTimeout(r, 200));
  }
  return outcome;
}

describe('kv-server processes under repeated kill -9 of the leader', () => {
  it(`loses no acknowledged write over ${rounds} leader kills and recovers each time`, async () => {
    const acked = new Set<string>();
    /** [start, end] of every acknowledged write, to find the first one started after a kill. */
    const ackTimes: Array<[number, number]> = [];
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, worker) => {
      let target = 1 + worker;
      for (let n = 0; writing; n++) {
        const key = `w${worker}-${n}`;
        const live = cluster.members.filter((m) => m.process);
        if (!live.some((m) => m.id === target)) target = live[n % live.length]?.id ?? 1;
        const begin = performance.now();
        const response = await cluster.put(target, key, Buffer.from(key), 2000).catch(() => undefined);
        if (response?.status === 200) {
          acked.add(key);
          ackTimes.push([begin, performance.now()]);
        } else {
          // Try another member next time; a short pause keeps a dead cluster from being hammered.
          target = (target % 3) + 1;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    });

    const recoveries: number[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const leader = await cluster.waitForLeader(15_000);
        await new Promise((r) => setTimeout(r, 300));
        const ackedBefore = acked.size;
        expect(ackedBefore).toBeGreaterThan(0);
        const killedAt = performance.now();
        await cluster.signal(leader, 'SIGKILL');
        // Recovered = a write that started after the kill was acknowledged.
        const deadline = killedAt + 10_000;
        const firstAfter = () => ackTimes.find(([begin]) => begin >= killedAt);
        while (!firstAfter() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const recovered = firstAfter();
        expect(recovered, `no write succeeded within 10 s of killing leader ${leader}`).toBeDefined();
        recoveries.push((recovered?.[1] ?? deadline) - killedAt);
        await cluster.start(leader);
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }

    const sorted = [...recoveries].sort((a, b) => a - b);
    console.log(
      `kill -9 of the leader -> next acknowledged write: ${sorted.map((ms) => ms.toFixed(0)).join(', ')} ms; ` +
        `${acked.size} acknowledged writes`,
    );
    // Every acknowledged write is readable, linearizably, on every member.
    await cluster.waitForLeader(15_000);
    for (const member of cluster.members) {
      const missing: string[] = [];
      for (const key of acked) {
        const outcome = await readWithRetry(member.id, key);
        if (outcome !== key) missing.push(`${key} -> ${outcome}`);
      }
      expect(missing, `member ${member.id} lost acknowledged writes`).toEqual([]);
    }
  }, 180_000);
});
