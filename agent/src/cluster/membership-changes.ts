/**
 * The two kinds of write a membership change is made of, for the autopilot, leave and rejoin:
 * a registry command (who the members are) and a Raft configuration change (who replicates and
 * votes). Raft takes one configuration change at a time, so a change that finds another in
 * flight waits its turn instead of failing.
 */
import type { RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { type ConfChange, type ConfState, ConsensusError } from '../../../consensus/src/types.ts';
import type { RegistryCommand, RegistryResult } from './cluster-registry.ts';
import { type AppliedResult, registryEntry } from './replicated-state.ts';

export type MembershipErrorKind = 'Refused' | 'Unavailable';

export class MembershipError extends Error {
  readonly kind: MembershipErrorKind;
  constructor(kind: MembershipErrorKind, message: string) {
    super(message);
    this.name = 'MembershipError';
    this.kind = kind;
  }
}

type Proposer = Pick<RaftNode<AppliedResult>, 'propose'>;
type Reconfigurer = Pick<RaftNode<AppliedResult>, 'proposeConfChange'>;

/** Proposes a registry command; a refusal by the registry is a MembershipError('Refused'). */
export async function proposeRegistryCommand(
  raft: Proposer,
  command: RegistryCommand,
): Promise<Extract<RegistryResult, { ok: true }>> {
  let applied: AppliedResult;
  try {
    applied = await raft.propose(registryEntry(command));
  } catch (error) {
    if (error instanceof ConsensusError) throw new MembershipError('Unavailable', error.message);
    throw error;
  }
  if (applied.kind !== 'registry') throw new Error('a registry command was answered by the store');
  if (!applied.result.ok) throw new MembershipError('Refused', applied.result.message);
  return applied.result;
}

/** Proposes a configuration change, waiting (up to `waitMs`) while another one is in flight. */
export async function changeConfiguration(
  raft: Reconfigurer & Pick<RaftNode<AppliedResult>, 'status'>,
  change: ConfChange,
  waitMs = 15_000,
): Promise<ConfState> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    // While it waited, another path (a joiner's own promotion request) may have made the change.
    const conf = raft.status().confState;
    if (alreadyDone(conf, change)) return conf;
    try {
      return await raft.proposeConfChange(change);
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      if (error.kind === 'InvalidConfChange') throw new MembershipError('Refused', error.message);
      if (error.kind !== 'ConfChangePending' || Date.now() > deadline)
        throw new MembershipError('Unavailable', error.message);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The Raft address as a conf change's context (how a new member's address reaches everyone). */
export function addressContext(raftAddress: string): Uint8Array {
  return new TextEncoder().encode(raftAddress);
}

function alreadyDone(conf: ConfState, change: ConfChange): boolean {
  const { nodeId } = change;
  if (change.type === 'addVoter') return conf.voters.includes(nodeId);
  if (change.type === 'addLearner') return conf.learners.includes(nodeId);
  return !conf.voters.includes(nodeId) && !conf.learners.includes(nodeId);
}
