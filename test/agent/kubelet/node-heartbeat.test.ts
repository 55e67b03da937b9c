/** The node status write meets Conflicts from the node lifecycle controller and retries on a fresh read. */
import { describe, expect, it } from 'vitest';
import { conflict } from '../../../agent/src/api/errors.ts';
import type { Node } from '../../../agent/src/api/types/core.ts';
import { NodeHeartbeat } from '../../../agent/src/kubelet/node-heartbeat.ts';
import { StoreNodeClient } from '../../../agent/src/kubelet/store-node-client.ts';
import type { ContainerRuntime } from '../../../agent/src/runtime/runtime.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';

const NODES = { group: '', resource: 'nodes' };

function heartbeat(conflicts: number) {
  const client = new StoreNodeClient(new ObjectStore());
  let left = conflicts;
  let writes = 0;
  const update = client.updateNodeStatus.bind(client);
  client.updateNodeStatus = async (node: Node) => {
    writes++;
    if (left-- > 0) return conflict(NODES, node.metadata.name ?? '');
    return update(node);
  };
  const runtime = {
    version: async () => ({ name: 'podman', version: '4.3.1' }),
  } as unknown as ContainerRuntime;
  const hb = new NodeHeartbeat({
    nodeName: 'n1',
    client,
    runtime,
    dataDir: '/tmp',
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    kubeletVersion: 'v1.30.0',
    maxPods: 10,
    statusIntervalMs: 60_000,
    leaseRenewMs: 60_000,
    leaseDurationSeconds: 40,
    log: () => {},
  });
  return { hb, client, writes: () => writes };
}

describe('node status write', () => {
  it('retries a Conflict on a fresh read and writes the status', async () => {
    const { hb, client, writes } = heartbeat(2);
    await hb.updateStatus();
    expect(writes()).toBe(3);
    const node = await client.getNode('n1');
    expect((node as Node).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('gives up after 5 tries with the Conflict in the message', async () => {
    const { hb, writes } = heartbeat(99);
    await expect(hb.updateStatus()).rejects.toThrow(/cannot update node n1 status: .*modified/);
    expect(writes()).toBe(5);
  });
});
