import { afterEach, describe, expect, it } from 'vitest';
import { ConsensusError } from '../../../consensus/src/types.ts';
import { eventually, MemoryCluster, read } from './cluster-harness.ts';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

describe('RaftNode on an in-memory network with real WALs', () => {
  it('elects one leader and applies a proposal on every member, resolving with the result', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const index = await cluster.put(leader, 'a', 'one');
    expect(index).toBeGreaterThan(0);
    await eventually(
      () => [1, 2, 3].every((id) => read(cluster!.member(id).kv, 'a') === 'one'),
      3000,
      'replication',
    );
  });

  it('resolves a proposal made on a follower once the follower applies it', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    await cluster.put(follower, 'f', 'from-follower');
    // Resolved means applied on the proposer itself.
    expect(read(cluster.member(follower).kv, 'f')).toBe('from-follower');
  });

  it('readIndex on a follower sees every write acknowledged before it', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    // Slow the network so the follower would lag without the barrier.
    cluster.network.delay(15);
    for (let i = 0; i < 5; i++) {
      await cluster.put(leader, 'counter', String(i));
      await cluster.member(follower).node.readIndex();
      expect(read(cluster.member(follower).kv, 'counter')).toBe(String(i));
    }
  });

  it('group-commits: 300 concurrent proposals need far fewer fsyncs than proposals', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const m = cluster.member(leader);
    const before = m.fsyncs;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => cluster!.put(leader, `k${i}`, 'v')),
    );
    expect(new Set(results).size).toBe(300);
    expect(m.fsyncs - before).toBeLessThan(60);
  });

  it('fails fast when the leader process dies and a new leader takes writes within an election timeout', async () => {
    cluster = new MemoryCluster([1, 2, 3], { electionTick: 50 });
    await cluster.startAll();
    const leader = await cluster.waitForLeader(10_000);
    await cluster.put(leader, 'before', 'x');
    const killedAt = Date.now();
    await cluster.crash(leader);
    const next = await cluster.waitForLeader(10_000, [leader]);
    // The election timeout is 50 ticks of 10 ms = 500-1000 ms; onPeerDown must beat it.
    expect(Date.now() - killedAt).toBeLessThan(450);
    await cluster.put(next, 'after', 'y');
    expect(read(cluster.member(next).kv, 'before')).toBe('x');
  });

  it('rejects proposals with NotLeader or ProposalDropped when no leader is known, never hangs', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    cluster.network.isolate(1);
    await cluster.start(1);
    const error = await cluster.put(1, 'k', 'v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsensusError);
    expect(['ProposalDropped', 'NotLeader', 'Timeout']).toContain((error as ConsensusError).kind);
  });

  it('restarts from its WAL and snapshots with the same state', async () => {
    cluster = new MemoryCluster([1, 2, 3], { snapshotEntries: 40, catchUpEntries: 10 });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 100; i++) await cluster.put(leader, `k${i % 30}`, `v${i}`);
    for (const id of [1, 2, 3])
      await eventually(
        () => cluster!.member(id).node.status().applied >= cluster!.member(leader).node.status().applied,
      );
    expect(cluster.member(leader).node.status().snapshotIndex).toBeGreaterThan(0);
    for (const id of [1, 2, 3]) {
      await cluster.member(id).node.stop();
      cluster.member(id).running = false;
    }
    for (const id of [1, 2, 3]) await cluster.start(id);
    const again = await cluster.waitForLeader();
    await cluster.member(again).node.readIndex();
    for (let i = 70; i < 100; i++) expect(read(cluster.member(again).kv, `k${i % 30}`)).toBe(`v${i}`);
    await cluster.put(again, 'after-restart', 'ok');
  });

  it('brings a follower that missed compacted entries up to date with a snapshot', async () => {
    cluster = new MemoryCluster([1, 2, 3], { snapshotEntries: 30, catchUpEntries: 5 });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const lagging = [1, 2, 3].find((id) => id !== leader)!;
    cluster.network.isolate(lagging);
    await new Promise((r) => setTimeout(r, 50));
    const stillLeader = await cluster.waitForLeader(5000, [lagging]);
    for (let i = 0; i < 120; i++) await cluster.put(stillLeader, `s${i}`, `${i}`);
    cluster.network.heal();
    await eventually(() => read(cluster!.member(lagging).kv, 's119') === '119', 5000, 'catch-up');
    expect(cluster.member(lagging).node.status().snapshotIndex).toBeGreaterThan(0);
    expect(cluster.member(lagging).kv.size).toBe(120);
  });

  it('removes a member and keeps committing with the rest', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const removed = [1, 2, 3].find((id) => id !== leader)!;
    const conf = await cluster.member(leader).node.proposeConfChange({ type: 'removeNode', nodeId: removed });
    expect(conf.voters).not.toContain(removed);
    await cluster.crash(removed);
    await cluster.put(leader, 'two-voters', 'ok');
  });

  it('transfers leadership on request', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const target = [1, 2, 3].find((id) => id !== leader)!;
    await cluster.member(leader).node.transferLeadership(target);
    expect(await cluster.waitForLeader()).toBe(target);
  });

  it('emits leader and role events', async () => {
    cluster = new MemoryCluster([1]);
    const seen: string[] = [];
    const m = await cluster.start(1);
    m.node.on('role', ({ role }) => seen.push(role));
    await cluster.waitForLeader();
    await eventually(() => seen.includes('leader'), 2000, 'leader role event');
  });
});

describe('RaftNode membership', () => {
  it('a new member joins, replicates the log from the start and counts toward the quorum', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.put(leader, 'early', 'yes');
    const conf = await cluster
      .member(leader)
      .node.proposeConfChange({ type: 'addVoter', nodeId: 4, context: new TextEncoder().encode('mem-4') });
    expect(conf.voters).toEqual([1, 2, 3, 4]);
    await cluster.start(4, { join: true });
    await eventually(() => read(cluster!.member(4).kv, 'early') === 'yes', 5000, 'new member catch-up');
    expect(cluster.member(4).node.status().confState.voters).toEqual([1, 2, 3, 4]);
    // With 4 voters and one original follower gone, a commit needs the new member's ack.
    const gone = [1, 2, 3].find((id) => id !== leader)!;
    await cluster.crash(gone);
    await cluster.put(leader, 'with-four', 'ok');
    await eventually(() => read(cluster!.member(4).kv, 'with-four') === 'ok', 3000, 'new member applies');
  });

  it('restarts without the peer list: the membership is in its own log', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.put(leader, 'k', 'v');
    for (const id of [1, 2, 3]) {
      await cluster.member(id).node.stop();
      cluster.member(id).running = false;
    }
    for (const id of [1, 2, 3]) await cluster.start(id, { peers: new Map() });
    const again = await cluster.waitForLeader();
    expect(cluster.member(again).node.status().confState.voters).toEqual([1, 2, 3]);
    await cluster.put(again, 'k2', 'v2');
  });
});

describe('RaftNode failure of its own disk', () => {
  it('stops, reports the error and fails pending proposals instead of acknowledging them', async () => {
    cluster = new MemoryCluster([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const m = cluster.member(leader);
    const stopped = new Promise<Error | undefined>((resolve) =>
      m.node.on('stopped', ({ error }) => resolve(error)),
    );
    m.failSaves = true;
    const result = await cluster.put(leader, 'doomed', 'x').catch((e: unknown) => e);
    expect(result).toBeInstanceOf(ConsensusError);
    expect((result as ConsensusError).kind).toBe('Stopped');
    expect((await stopped)?.message).toMatch(/EIO/);
    m.running = false;
    // The others elect a new leader and go on.
    const next = await cluster.waitForLeader(5000, [leader]);
    await cluster.put(next, 'after', 'ok');
  });
});
