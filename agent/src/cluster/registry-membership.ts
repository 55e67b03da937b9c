/**
 * Registry commands that change who is a member after the join: the autopilot's and the
 * operator's. Pure and deterministic like the rest of the registry (cluster-registry.ts).
 *
 *   setMemberRole  worker -> voter (autopilot designates it; it becomes a learner, then a voter)
 *   retireMember   a member leaves the registry for good: dead voter removed, `kedge leave`
 *   rejoinMember   a voter retired as dead comes back: a NEW id (ids are never reused, and the
 *                  old one is burnt in Raft), voter if there is a gap, else worker; once only
 *   setAutopilot   the cluster-wide autopilot settings (every leader uses the same grace)
 *   setDesiredVoters  the voter count the autopilot keeps (1, 3, 5 or 7); lowering it demotes
 *                  nobody: it only stops the autopilot from filling seats above it
 */
import {
  type MemberRecord,
  type MemberRole,
  type RegistryResult,
  type RegistryState,
  VOTER_COUNTS,
} from './cluster-registry.ts';

/** Why a member left the registry. Only `dead` may come back by itself (rejoinMember). */
export type RetireReason = 'dead' | 'left';

export interface RetiredMember {
  readonly id: number;
  readonly name: string;
  readonly reason: RetireReason;
  readonly retiredAt: string;
  /** The id it came back with, once it rejoined. */
  readonly rejoinedAs?: number;
}

/** Autopilot settings held in the registry, so a new leader applies the same ones. */
export interface AutopilotSettings {
  /** Off: nothing is removed or promoted by itself. */
  readonly enabled: boolean;
  /** How long a voter may go unheard before it is removed. */
  readonly deadVoterGraceMs: number;
  /** How long a worker must have been healthy before it is made a voter. */
  readonly stabilizationMs: number;
  /** A learner is caught up when its match index is at most this far behind the leader's commit. */
  readonly maxLagEntries: number;
}

/**
 * 15 s: well past Raft's own failure detection (elections after 0.5-1 s) and past the usual
 * transient faults of an edge box (a flapping uplink, a systemd restart of the agent within
 * 5-10 s), so those cost no membership churn; short enough that a box that is really gone
 * (power, hardware, a reboot of a minute) is replaced before a second failure can take the
 * majority with it. A replaced voter that returns rejoins as a worker, which costs little.
 */
export const DEFAULT_AUTOPILOT: AutopilotSettings = {
  enabled: true,
  deadVoterGraceMs: 15_000,
  stabilizationMs: 3_000,
  maxLagEntries: 64,
};

export type MembershipCommand =
  | { readonly op: 'setMemberRole'; readonly id: number; readonly role: MemberRole }
  | { readonly op: 'retireMember'; readonly id: number; readonly reason: RetireReason; readonly now: string }
  | {
      readonly op: 'rejoinMember';
      readonly oldId: number;
      readonly now: string;
      readonly apiAddress: string;
      readonly raftAddress: string;
    }
  | { readonly op: 'setAutopilot'; readonly settings: AutopilotSettings }
  | { readonly op: 'setDesiredVoters'; readonly desiredVoters: number };

export const MEMBERSHIP_OPS: readonly string[] = [
  'setMemberRole',
  'retireMember',
  'rejoinMember',
  'setAutopilot',
  'setDesiredVoters',
];

export function retiredOf(state: RegistryState): readonly RetiredMember[] {
  return state.retired ?? [];
}

export function autopilotOf(state: RegistryState): AutopilotSettings {
  return state.autopilot ?? DEFAULT_AUTOPILOT;
}

/** Applies one membership command; the old state is never changed. */
export function applyMembershipCommand(
  state: RegistryState,
  command: MembershipCommand,
): { state: RegistryState; result: RegistryResult } {
  switch (command.op) {
    case 'setMemberRole': {
      const member = state.members.find((m) => m.id === command.id);
      if (member === undefined) return fail(state, 'NotFound', `node ${command.id} is not a member`);
      if (command.role === 'voter' && !/:[1-9][0-9]*$/.test(member.raftAddress)) {
        return fail(
          state,
          'Invalid',
          `node ${command.id} has no Raft address; it joined without --raft-port and cannot vote`,
        );
      }
      const changed: MemberRecord = { ...member, role: command.role };
      return { state: replaceMember(state, changed), result: { ok: true, member: changed } };
    }
    case 'retireMember': {
      const member = state.members.find((m) => m.id === command.id);
      if (member === undefined) {
        // Retiring twice (a leader that failed between its two steps) is harmless.
        if (retiredOf(state).some((r) => r.id === command.id)) return { state, result: { ok: true } };
        return fail(state, 'NotFound', `node ${command.id} is not a member`);
      }
      const retired: RetiredMember = {
        id: member.id,
        name: member.name,
        reason: command.reason,
        retiredAt: command.now,
      };
      return {
        state: {
          ...state,
          members: state.members.filter((m) => m.id !== command.id),
          retired: [...retiredOf(state), retired],
        },
        result: { ok: true, member },
      };
    }
    case 'rejoinMember': {
      const old = retiredOf(state).find((r) => r.id === command.oldId);
      if (old === undefined)
        return fail(state, 'NotFound', `node ${command.oldId} was never retired; restart it as it is`);
      if (old.reason !== 'dead') {
        return fail(
          state,
          'Unauthorized',
          `node ${command.oldId} left the cluster on purpose; empty its data directory and join again with a token`,
        );
      }
      if (old.rejoinedAs !== undefined) {
        return fail(
          state,
          'Unauthorized',
          `node ${command.oldId} rejoined already as node ${old.rejoinedAs}; this data directory is stale`,
        );
      }
      const voters = state.members.filter((m) => m.role === 'voter').length;
      const role: MemberRole = voters < state.desiredVoters ? 'voter' : 'worker';
      const member: MemberRecord = {
        id: state.nextNodeId,
        name: old.name,
        role,
        apiAddress: command.apiAddress,
        raftAddress: command.raftAddress,
        joinedAt: command.now,
      };
      return {
        state: {
          ...state,
          nextNodeId: state.nextNodeId + 1,
          members: [...state.members, member],
          retired: retiredOf(state).map((r) => (r.id === old.id ? { ...r, rejoinedAs: member.id } : r)),
        },
        result: { ok: true, member },
      };
    }
    case 'setAutopilot': {
      const s = command.settings;
      const valid =
        typeof s.enabled === 'boolean' &&
        [s.deadVoterGraceMs, s.stabilizationMs, s.maxLagEntries].every((n) => Number.isInteger(n) && n >= 0);
      if (!valid)
        return fail(state, 'Invalid', 'autopilot settings need enabled and whole non-negative numbers');
      if (s.deadVoterGraceMs < 1000)
        return fail(
          state,
          'Invalid',
          'deadVoterGraceMs below 1000 would remove voters during a normal election',
        );
      return { state: { ...state, autopilot: s }, result: { ok: true } };
    }
    case 'setDesiredVoters': {
      if (!VOTER_COUNTS.includes(command.desiredVoters))
        return fail(
          state,
          'Invalid',
          `the voter count must be one of ${VOTER_COUNTS.join(', ')} (an odd count: an even one tolerates no more failures)`,
        );
      return { state: { ...state, desiredVoters: command.desiredVoters }, result: { ok: true } };
    }
  }
}

function replaceMember(state: RegistryState, member: MemberRecord): RegistryState {
  return { ...state, members: state.members.map((m) => (m.id === member.id ? member : m)) };
}

function fail(
  state: RegistryState,
  kind: 'Unauthorized' | 'Invalid' | 'NotFound',
  message: string,
): { state: RegistryState; result: RegistryResult } {
  return { state, result: { ok: false, kind, message } };
}
