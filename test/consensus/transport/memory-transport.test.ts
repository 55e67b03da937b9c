import { describe, expect, it, vi } from 'vitest';
import { createMemoryNetwork } from '../../../consensus/src/transport/memory-transport.ts';
import type { Message, NodeId } from '../../../consensus/src/types.ts';

const hb = (from: NodeId, to: NodeId, term = 1): Message => ({
  type: 'heartbeat',
  from,
  to,
  term,
  commit: 0,
});
const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function setup(ids: NodeId[]) {
  const network = createMemoryNetwork();
  const inboxes = new Map<NodeId, Message[]>();
  const transports = new Map(
    ids.map((id) => {
      const t = network.transport(id);
      const inbox: Message[] = [];
      inboxes.set(id, inbox);
      t.onMessage((m) => inbox.push(m));
      for (const other of ids) if (other !== id) t.addPeer(other, `mem-${other}`);
      return [id, t] as const;
    }),
  );
  return { network, inboxes, transports };
}

describe('memory network', () => {
  it('delivers asynchronously and never shares buffers between sender and receiver', async () => {
    const { transports, inboxes } = setup([1, 2]);
    const data = new Uint8Array([1, 2, 3]);
    transports
      .get(1)
      ?.send([
        { type: 'app', from: 1, to: 2, term: 1, entries: [{ term: 1, index: 1, type: 'normal', data }] },
      ]);
    expect(inboxes.get(2)).toEqual([]);
    await settle();
    data[0] = 9;
    expect(Array.from(inboxes.get(2)?.[0]?.entries?.[0]?.data ?? [])).toEqual([1, 2, 3]);
  });

  it('partitions and heals', async () => {
    const { network, transports, inboxes } = setup([1, 2, 3]);
    network.partition([1], [2, 3]);
    transports.get(1)?.send([hb(1, 2), hb(1, 3)]);
    transports.get(2)?.send([hb(2, 3)]);
    await settle();
    expect(inboxes.get(2)).toEqual([]);
    expect(inboxes.get(3)?.map((m) => m.from)).toEqual([2]);
    network.heal();
    transports.get(1)?.send([hb(1, 2)]);
    await settle();
    expect(inboxes.get(2)?.map((m) => m.from)).toEqual([1]);
    expect(network.stats().dropped).toBe(2);
  });

  it('drops by rule and delays by the configured time', async () => {
    const { network, transports, inboxes } = setup([1, 2]);
    network.drop((m) => m.term === 13);
    network.delay(30);
    // Judge the delay by when the message arrived, not by what a short sleep saw: a loaded machine
    // can oversleep any wall-clock window.
    let arrivedAfter = -1;
    const sent = performance.now();
    transports.get(2)?.onMessage((m) => {
      arrivedAfter = performance.now() - sent;
      inboxes.get(2)?.push(m);
    });
    transports.get(1)?.send([hb(1, 2, 13), hb(1, 2, 14)]);
    await vi.waitFor(() => expect(inboxes.get(2)?.map((m) => m.term)).toEqual([14]), { timeout: 5_000 });
    expect(arrivedAfter).toBeGreaterThanOrEqual(29);
  });

  it('a crash silences the node and tells its peers, as closed sockets would', async () => {
    const { network, transports, inboxes } = setup([1, 2, 3]);
    const downs: Array<[NodeId, NodeId]> = [];
    for (const [id, t] of transports) t.onPeerDown((peer) => downs.push([id, peer]));
    network.crash(1);
    transports.get(1)?.send([hb(1, 2)]);
    await settle();
    expect(inboxes.get(2)).toEqual([]);
    expect(downs.sort()).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });

  it('reports a snapshot as finished when delivered and failed when lost', async () => {
    const { network, transports } = setup([1, 2, 3]);
    const statuses: string[] = [];
    transports.get(1)?.onSnapshotStatus((peer, status) => statuses.push(`${peer}:${status}`));
    const snap = (to: NodeId): Message => ({
      type: 'snap',
      from: 1,
      to,
      term: 1,
      snapshot: {
        metadata: { index: 5, term: 1, confState: { voters: [1, 2, 3], learners: [] } },
        data: new Uint8Array(4),
      },
    });
    network.isolate(3);
    transports.get(1)?.send([snap(2), snap(3)]);
    await settle();
    expect(statuses.sort()).toEqual(['2:finish', '3:failure']);
  });
});
