import {
  type ConfChange,
  type ConfChangeType,
  type ConfState,
  ConsensusError,
  NONE,
  type NodeId,
} from '../types.ts';

/**
 * Single-server membership changes. A change takes effect when applied (not when appended), and
 * the leader refuses a new one until the previous one is applied, so at most one is in flight.
 */

/** The membership after `change`: addVoter adds or promotes, addLearner adds or demotes. */
export function applyConfChangeToState(conf: ConfState, change: ConfChange): ConfState {
  const id = change.nodeId;
  const voters = conf.voters.filter((v) => v !== id);
  const learners = conf.learners.filter((l) => l !== id);
  switch (change.type) {
    case 'addVoter':
      voters.push(id);
      break;
    case 'addLearner':
      learners.push(id);
      break;
    case 'removeNode':
      break;
  }
  // Removing the last voter would leave a cluster that can never elect or commit again. Every
  // member applies the same change to the same configuration, so refusing here stays deterministic.
  if (voters.length === 0) return conf;
  return { voters: voters.sort(byId), learners: learners.sort(byId) };
}

function byId(a: NodeId, b: NodeId): number {
  return a - b;
}

/** Why `change` must not be proposed against `conf`, or undefined when it may. */
export function confChangeRefusal(
  conf: ConfState,
  change: ConfChange,
  removed: ReadonlySet<NodeId>,
): string | undefined {
  const id = change.nodeId;
  if (!Number.isSafeInteger(id) || id <= NONE) return `node id ${id} is not a positive integer`;
  if (change.type !== 'removeNode' && removed.has(id)) {
    return `node id ${id} was removed from this cluster; ids are never reused, give the member a new id`;
  }
  if (change.type !== 'addVoter' && conf.voters.length === 1 && conf.voters[0] === id) {
    return `node ${id} is the last voter; add another voter first`;
  }
  return undefined;
}

const TYPE_CODES: Record<ConfChangeType, number> = { addVoter: 1, addLearner: 2, removeNode: 3 };
const TYPES_BY_CODE: readonly (ConfChangeType | undefined)[] = [
  undefined,
  'addVoter',
  'addLearner',
  'removeNode',
];
const HEADER_BYTES = 9;

/** The data of a confChange entry: [type u8][nodeId f64 LE][context bytes...]. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const context = change.context ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_BYTES + context.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, TYPE_CODES[change.type]);
  view.setFloat64(1, change.nodeId, true);
  out.set(context, HEADER_BYTES);
  return out;
}

/** Decodes a confChange entry's data; throws ConsensusError('Corrupt') for bytes it did not write. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < HEADER_BYTES) {
    throw new ConsensusError('Corrupt', `confChange entry has ${data.byteLength} bytes, needs at least 9`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = TYPES_BY_CODE[view.getUint8(0)];
  const nodeId = view.getFloat64(1, true);
  if (type === undefined || !Number.isSafeInteger(nodeId)) {
    throw new ConsensusError('Corrupt', 'confChange entry has an unknown type or a bad node id');
  }
  if (data.byteLength === HEADER_BYTES) return { type, nodeId };
  return { type, nodeId, context: data.slice(HEADER_BYTES) };
}
