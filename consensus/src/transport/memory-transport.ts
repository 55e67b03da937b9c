// An in-memory network for tests: every node gets a Transport; the network decides which messages
// arrive, when, and whether a "process" is alive. Delivery is always asynchronous (never inside
// send()), as a real network's is, so drivers cannot accidentally depend on re-entrancy.

import type { Message, NodeId, Transport } from '../types.ts';
import type { SnapshotStatus, TransportFeedback } from './feedback.ts';

/** Decides, per message, whether it is lost. */
export type DropRule = (message: Message) => boolean;

export interface MemoryNetwork {
  /** A transport for node `id` (one per id; a second call after close() gives a fresh one). */
  transport(id: NodeId): Transport & TransportFeedback;
  /** Loses every message that matches the rule until heal(). */
  drop(rule: DropRule): void;
  /** Splits the nodes into groups that cannot talk across (nodes not named form one more group). */
  partition(...groups: NodeId[][]): void;
  /** Cuts one node off from everyone (messages in both directions are lost). */
  isolate(id: NodeId): void;
  /** Removes every drop rule and partition. */
  heal(): void;
  /** Delays every delivery by a fixed time plus up to `jitterMs` (0 = next macrotask). */
  delay(ms: number, jitterMs?: number): void;
  /**
   * Simulates a process death: the node's transport stops delivering and sending, and every other
   * node hears onPeerDown(id) — what a TCP transport reports when the peer's sockets close.
   */
  crash(id: NodeId): void;
  /** Messages delivered and dropped so far (for assertions). */
  stats(): { delivered: number; dropped: number };
}

interface Endpoint {
  readonly id: NodeId;
  messageHandler: ((message: Message) => void) | undefined;
  peerDownHandler: ((peer: NodeId) => void) | undefined;
  snapshotHandler: ((peer: NodeId, status: SnapshotStatus) => void) | undefined;
  peers: Set<NodeId>;
  closed: boolean;
}

/** Creates an empty in-memory network. `random` drives jitter (pass a seeded one for determinism). */
export function createMemoryNetwork(options: { random?: () => number } = {}): MemoryNetwork {
  const random = options.random ?? Math.random;
  const endpoints = new Map<NodeId, Endpoint>();
  let rules: DropRule[] = [];
  let groupOf = new Map<NodeId, number>();
  let delayMs = 0;
  let jitterMs = 0;
  let delivered = 0;
  let dropped = 0;

  const separated = (a: NodeId, b: NodeId): boolean => {
    if (groupOf.size === 0) return false;
    return (groupOf.get(a) ?? -1) !== (groupOf.get(b) ?? -1);
  };

  /** Tells a snapshot's sender how it went, as the TCP transport does once it is written out. */
  const settleSnapshot = (message: Message, status: SnapshotStatus): void => {
    if (message.type !== 'snap') return;
    const source = endpoints.get(message.from);
    if (source && !source.closed) source.snapshotHandler?.(message.to, status);
  };

  const deliver = (message: Message): void => {
    const target = endpoints.get(message.to);
    const source = endpoints.get(message.from);
    if (!target || target.closed || !target.messageHandler || source?.closed) {
      dropped++;
      settleSnapshot(message, 'failure');
      return;
    }
    delivered++;
    target.messageHandler(message);
    settleSnapshot(message, 'finish');
  };

  const route = (message: Message): void => {
    if (separated(message.from, message.to) || rules.some((rule) => rule(message))) {
      dropped++;
      setImmediate(() => settleSnapshot(message, 'failure'));
      return;
    }
    // A copy: the receiver must never share buffers with the sender, as over a wire.
    const copy = structuredClone(message);
    const wait = delayMs + (jitterMs > 0 ? random() * jitterMs : 0);
    // setTimeout(0) is really 1 ms in Node: without a delay, deliver on the next turn instead.
    if (wait === 0) setImmediate(() => deliver(copy));
    else setTimeout(() => deliver(copy), wait);
  };

  const transport = (id: NodeId): Transport & TransportFeedback => {
    const existing = endpoints.get(id);
    if (existing && !existing.closed) throw new Error(`memory network: node ${id} already has a transport`);
    const endpoint: Endpoint = {
      id,
      messageHandler: undefined,
      peerDownHandler: undefined,
      snapshotHandler: undefined,
      peers: new Set(),
      closed: false,
    };
    endpoints.set(id, endpoint);
    return {
      send(messages) {
        if (endpoint.closed) return;
        for (const message of messages) route(message);
      },
      onMessage(handler) {
        endpoint.messageHandler = handler;
      },
      onPeerDown(handler) {
        endpoint.peerDownHandler = handler;
      },
      onSnapshotStatus(handler) {
        endpoint.snapshotHandler = handler;
      },
      onUnreachable() {
        // Loss here is a test's decision, not a signal: nothing to report.
      },
      addPeer(peer) {
        endpoint.peers.add(peer);
      },
      removePeer(peer) {
        endpoint.peers.delete(peer);
      },
      async close() {
        endpoint.closed = true;
      },
    };
  };

  return {
    transport,
    drop(rule) {
      rules.push(rule);
    },
    partition(...groups) {
      groupOf = new Map();
      groups.forEach((group, i) => {
        for (const id of group) groupOf.set(id, i);
      });
    },
    isolate(id) {
      groupOf = new Map();
      for (const other of endpoints.keys()) groupOf.set(other, other === id ? 1 : 0);
    },
    heal() {
      rules = [];
      groupOf = new Map();
    },
    delay(ms, jitter = 0) {
      delayMs = ms;
      jitterMs = jitter;
    },
    crash(id) {
      const endpoint = endpoints.get(id);
      if (endpoint) endpoint.closed = true;
      for (const other of endpoints.values()) {
        if (other.id === id || other.closed || !other.peers.has(id)) continue;
        const handler = other.peerDownHandler;
        if (handler) setTimeout(() => handler(id), 0);
      }
    },
    stats() {
      return { delivered, dropped };
    },
  };
}
