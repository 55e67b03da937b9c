// @kedge/consensus: an embedded Raft library. See README.md for the layers:
// core (pure state machine) -> wal (durable log) -> transport -> node (the driver).
export * from './codec/index.ts';
export * from './core/index.ts';
export {
  createRaftNode,
  type RaftNode,
  type RaftNodeOptions,
  type RaftNodeStatus,
} from './node/raft-node.ts';
export { createMemoryNetwork, type DropRule, type MemoryNetwork } from './transport/memory-transport.ts';
export {
  createTcpTransport,
  type TcpTransport,
  type TcpTransportOptions,
} from './transport/tcp-transport.ts';
export * from './types.ts';
export * from './wal/index.ts';
