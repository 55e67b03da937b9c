// Log compaction and snapshot installation (etcd: slow_follower_after_compaction, snapshot_succeed_via_app_resp).
import { describe, expect, it } from 'vitest';
import { enc, Network, type TestNode } from './network.ts';

/** Snapshots the node's applied state at its applied index and compacts the log up to it. */
function compact(t: TestNode): number {
  const index = t.node.status().applied;
  t.storage.createSnapshot(index, t.confState, enc(t.applied.join(',')));
  t.storage.compact(index);
  return index;
}

describe('snapshots', () => {
  it('sends a snapshot to a follower that needs compacted entries; it restores and catches up', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.propose(1, `v${i}`);
    const index = compact(net.get(1));
    expect(net.get(1).storage.firstIndex()).toBe(index + 1);
    net.heal();
    const mark = net.sent.length;
    net.tickAll(3);
    expect(net.count('snap', mark)).toBe(1);
    expect(net.get(3).snapshotsRestored).toBe(1);
    expect(net.get(3).storage.snapshot().metadata.index).toBe(index);
    net.propose(1, 'after');
    expect(net.get(3).applied).toEqual(net.get(1).applied);
    expect(net.node(1).status().progress.get(3)?.state).toBe('replicate');
  });

  it('a node restarted from a snapshot keeps its state and membership', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    compact(net.get(2));
    net.restart(2);
    expect(net.node(2).status().commit).toBeGreaterThanOrEqual(6);
    expect(net.node(2).status().confState.voters).toEqual([1, 2, 3]);
    net.propose(1, 'after');
    expect(net.get(2).applied).toEqual([...Array(5).keys()].map((i) => `v${i}`).concat('after'));
  });

  it('after a failed snapshot the leader probes again and resends', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    compact(net.get(1));
    // The snapshot is lost on the way.
    net.heal();
    net.filter = (m) => m.type !== 'snap';
    net.tickAll(2);
    expect(net.node(1).status().progress.get(3)?.state).toBe('snapshot');
    net.node(1).reportSnapshot(3, 'failure');
    expect(net.node(1).status().progress.get(3)?.state).toBe('probe');
    net.filter = undefined;
    net.tickAll(3);
    expect(net.get(3).snapshotsRestored).toBe(1);
    expect(net.get(3).applied).toEqual(net.get(1).applied);
  });
});
