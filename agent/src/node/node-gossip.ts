/**
 * This agent's gossip host (gossip/), wired to the cluster: who the members are, and how the others
 * learn this agent's peer id and address.
 *
 *   key: <dataDir>/gossip/node-key (Ed25519; its peer id is this node's gossip identity)
 *   this agent ── PUT its Node with annotations kedge.io/gossip-peer-id + kedge.io/gossip-address
 *   every agent: Node informer ──membersOfNodes──> host.setMembers (the gater admits exactly these)
 *                                                └─> <dataDir>/gossip/members.json (a restart with the
 *                                                    control plane down still knows its peers)
 *   host 'member' events ──> gossipHealth: the node lifecycle controller's NodeHealthSource
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StatusError } from '../api/errors.ts';
import type { Node } from '../api/types/core.ts';
import { writeJsonFile } from '../cluster/data-dir.ts';
import type { GossipHealth, NodeHealthSource } from '../controllers/node/config.ts';
import { GossipError } from '../gossip/gossip-error.ts';
import { type ClusterMember, GossipHost, type GossipTiming } from '../gossip/gossip-host.ts';
import { loadOrCreateNodeIdentity } from '../gossip/node-identity.ts';
import type { ApiClient } from './api-client.ts';

export const GOSSIP_PEER_ID_ANNOTATION = 'kedge.io/gossip-peer-id';
export const GOSSIP_ADDRESS_ANNOTATION = 'kedge.io/gossip-address';
/** The gossip port is the API port + this (one agent per address; `kedge up` gives each its own). */
export const GOSSIP_PORT_OFFSET = 300;

/** The cluster's gossip members: every Node that published a peer id and an address. Pure. */
export function membersOfNodes(nodes: readonly Node[]): ClusterMember[] {
  const out: ClusterMember[] = [];
  for (const n of nodes) {
    const a = n.metadata.annotations ?? {};
    const peerId = a[GOSSIP_PEER_ID_ANNOTATION];
    const address = a[GOSSIP_ADDRESS_ANNOTATION];
    if (!peerId || !address || !n.metadata.name) continue;
    out.push({ nodeId: n.metadata.name, peerId, addresses: [address] });
  }
  return out.sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1));
}

/** Whether the Node already carries this agent's gossip identity. Pure. */
export function announcesGossip(node: Node | undefined, peerId: string, address: string): boolean {
  const a = node?.metadata.annotations ?? {};
  return a[GOSSIP_PEER_ID_ANNOTATION] === peerId && a[GOSSIP_ADDRESS_ANNOTATION] === address;
}

/** SWIM's view as the node lifecycle controller's health source. */
export function gossipHealth(host: GossipHost): NodeHealthSource {
  return {
    health: (node) => host.membership.status(node) as GossipHealth | undefined,
    subscribe(listener) {
      const handler = (e: Event) => listener((e as CustomEvent<{ nodeId: string }>).detail.nodeId);
      host.addEventListener('member', handler);
      return () => host.removeEventListener('member', handler);
    },
  };
}

export interface NodeGossip {
  readonly host: GossipHost;
  readonly peerId: string;
  /** Where this host listens (a multiaddr without /p2p), as announced on the Node. */
  readonly address: string;
  setMembers(members: readonly ClusterMember[]): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeGossipOptions {
  readonly nodeName: string;
  readonly ip: string;
  readonly port: number;
  readonly dataDir: string;
  readonly timing?: Partial<GossipTiming>;
  readonly log: (message: string) => void;
}

export async function startNodeGossip(o: NodeGossipOptions): Promise<NodeGossip | GossipError> {
  const dir = path.join(o.dataDir, 'gossip');
  const identity = await loadOrCreateNodeIdentity(dir);
  if (identity instanceof GossipError) return identity;
  const address = `/ip4/${o.ip}/tcp/${o.port}`;
  const membersFile = path.join(dir, 'members.json');
  const self: ClusterMember = { nodeId: o.nodeName, peerId: identity.peerId, addresses: [address] };
  const remembered = await readMembers(membersFile, o.log);
  let current = withSelf(remembered, self);
  let saving: Promise<void> = Promise.resolve();
  const host = await GossipHost.create({
    nodeId: o.nodeName,
    identity,
    listen: [address],
    members: current,
    dataDir: dir,
    ...(o.timing ? { timing: o.timing } : {}),
  });
  if (host instanceof GossipError) return host;
  try {
    await host.start();
  } catch (error) {
    return new GossipError('Unavailable', `cannot start gossip on ${address}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    host,
    peerId: identity.peerId,
    address,
    setMembers(members) {
      const next = withSelf(members, self);
      if (JSON.stringify(next) === JSON.stringify(current)) return saving;
      current = next;
      // Serialized: the writes share one temp file, and the last list must win.
      saving = saving.then(async () => {
        await host.setMembers(next);
        await writeJsonFile(membersFile, next).catch((error: Error) =>
          o.log(`gossip: cannot save the member list: ${error.message}`),
        );
      });
      return saving;
    },
    stop: () => host.stop(),
  };
}

function withSelf(members: readonly ClusterMember[], self: ClusterMember): ClusterMember[] {
  return [...members.filter((m) => m.nodeId !== self.nodeId), self].sort((x, y) =>
    x.nodeId < y.nodeId ? -1 : 1,
  );
}

async function readMembers(file: string, log: (m: string) => void): Promise<ClusterMember[]> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ClusterMember[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log(`gossip: ignoring an unreadable member list ${file}: ${(error as Error).message}`);
    return [];
  }
}

/** Writes this agent's gossip identity onto its Node (read, then update with its resourceVersion). */
export async function announceOnNode(
  api: ApiClient,
  nodeName: string,
  peerId: string,
  address: string,
): Promise<StatusError | undefined> {
  const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  const got = await api.call('GET', path);
  if (got instanceof StatusError) return got;
  const node = got.json as Node;
  if (announcesGossip(node, peerId, address)) return undefined;
  node.metadata.annotations = {
    ...node.metadata.annotations,
    [GOSSIP_PEER_ID_ANNOTATION]: peerId,
    [GOSSIP_ADDRESS_ANNOTATION]: address,
  };
  const put = await api.call('PUT', path, node);
  return put instanceof StatusError ? put : undefined;
}
