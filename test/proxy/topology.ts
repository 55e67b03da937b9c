import { createNetns, type TestNetns } from './netns.ts';

/**
 * Two namespaces joined by a veth pair: a "node" (10.200.0.1) whose pods are addresses on its
 * loopback (10.244.0.x), and a "client" (10.200.0.2) that routes the service and pod ranges
 * through the node, like a host on the node's network.
 */
export interface NodeAndClient {
  readonly node: TestNetns;
  readonly client: TestNetns;
  readonly nodeIp: string;
  destroy(): void;
}

export const NODE_IP = '10.200.0.1';
export const CLIENT_IP = '10.200.0.2';

export function nodeAndClient(podIps: readonly string[]): NodeAndClient {
  const node = createNetns('kedge-test-node');
  let client: TestNetns | undefined;
  try {
    client = createNetns('kedge-test-client');
    node.exec('ip', [
      'link',
      'add',
      'veth-node',
      'type',
      'veth',
      'peer',
      'name',
      'veth-client',
      'netns',
      client.name,
    ]);
    node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'veth-node']);
    node.exec('ip', ['link', 'set', 'veth-node', 'up']);
    // Like any host, the node has a default route; its own traffic to a ClusterIP needs some route
    // before the output hook's DNAT rewrites the destination.
    node.exec('ip', ['route', 'add', 'default', 'via', CLIENT_IP]);
    for (const ip of podIps) node.exec('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
    client.exec('ip', ['addr', 'add', `${CLIENT_IP}/24`, 'dev', 'veth-client']);
    client.exec('ip', ['link', 'set', 'veth-client', 'up']);
    client.exec('ip', ['route', 'add', '10.96.0.0/16', 'via', NODE_IP]);
    client.exec('ip', ['route', 'add', '10.244.0.0/16', 'via', NODE_IP]);
  } catch (err) {
    client?.destroy();
    node.destroy();
    throw err;
  }
  const c = client;
  return {
    node,
    client: c,
    nodeIp: NODE_IP,
    destroy() {
      c.destroy();
      node.destroy();
    },
  };
}
