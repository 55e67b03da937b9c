// What the driver adds around user data so that it can keep its promises:
// - a proposal envelope names its proposer (node id, process incarnation, sequence), so the node
//   that proposed can match the applied entry to the waiting promise, even when a follower forwarded
//   it and even across a restart (a new incarnation never matches an old entry);
// - a snapshot envelope carries the members' addresses beside the state machine's snapshot, because
//   a node restored from a snapshot has no log of the conf changes that announced them.

import { BinaryReader, BinaryWriter } from '../codec/binary.ts';
import { ConsensusError, type NodeId } from '../types.ts';

const PROPOSAL_VERSION = 1;
const SNAPSHOT_VERSION = 1;

export interface ProposalId {
  readonly proposer: NodeId;
  readonly incarnation: number;
  readonly seq: number;
}

const writer = new BinaryWriter(1024);

/** Wraps user data with its proposal id. */
export function wrapProposal(id: ProposalId, data: Uint8Array): Uint8Array {
  writer.reset();
  writer.uint8(PROPOSAL_VERSION);
  writer.uvarint(id.proposer);
  writer.uint32(id.incarnation);
  writer.uvarint(id.seq);
  writer.raw(data);
  return writer.toBuffer();
}

/** Splits an applied entry's data into proposal id and user data (a view, no copy). */
export function unwrapProposal(data: Uint8Array): { id: ProposalId; data: Uint8Array } {
  const r = new BinaryReader(data, 0, data.length, 'proposal envelope');
  const version = r.uint8();
  if (version !== PROPOSAL_VERSION) {
    throw new ConsensusError(
      'Corrupt',
      `proposal envelope version ${version}; this node reads ${PROPOSAL_VERSION}`,
    );
  }
  const proposer = r.uvarint();
  const incarnation = r.uint32();
  const seq = r.uvarint();
  return { id: { proposer, incarnation, seq }, data: r.raw(r.remaining) };
}

/** Wraps the state machine's snapshot with the member address book. */
export function wrapSnapshot(addresses: ReadonlyMap<NodeId, string>, data: Uint8Array): Uint8Array {
  const w = new BinaryWriter(data.length + 64 * (addresses.size + 1));
  w.uint8(SNAPSHOT_VERSION);
  w.uvarint(addresses.size);
  for (const [id, address] of addresses) {
    w.uvarint(id);
    w.string(address);
  }
  w.raw(data);
  return w.toBuffer();
}

export function unwrapSnapshot(data: Uint8Array): { addresses: Map<NodeId, string>; data: Uint8Array } {
  const r = new BinaryReader(data, 0, data.length, 'snapshot envelope');
  const version = r.uint8();
  if (version !== SNAPSHOT_VERSION) {
    throw new ConsensusError(
      'Corrupt',
      `snapshot envelope version ${version}; this node reads ${SNAPSHOT_VERSION}`,
    );
  }
  const n = r.uvarint();
  const addresses = new Map<NodeId, string>();
  for (let i = 0; i < n; i++) addresses.set(r.uvarint(), r.string());
  return { addresses, data: r.raw(r.remaining) };
}
