/**
 * The cluster's own records, replicated through Raft beside the object store: who the members
 * are, which node id comes next, the join tokens and the users' token hashes. Pure and
 * deterministic like the store: every input (the time a join is checked against, the ids, the
 * hashes) arrives in the command, so every voter reaches the same state.
 *
 *   bootstrap (once, by the founder) -> registerNode (join: token checked, id = nextNodeId++,
 *   voter while voters < desiredVoters, else worker) -> addJoinToken / revokeJoinToken
 */
import type { TokenRecord } from '../auth/tokens.ts';
import {
  type AutopilotSettings,
  applyMembershipCommand,
  MEMBERSHIP_OPS,
  type MembershipCommand,
  type RetiredMember,
} from './registry-membership.ts';

export type MemberRole = 'voter' | 'worker';
export type JoinTokenKind = 'voter' | 'worker';

export interface MemberRecord {
  readonly id: number;
  readonly name: string;
  readonly role: MemberRole;
  /** host:port of the agent's HTTPS endpoint (API and /kedge/v1). */
  readonly apiAddress: string;
  /** host:port of the Raft transport ('' or port 0 when the agent cannot vote). */
  readonly raftAddress: string;
  readonly joinedAt: string;
}

export interface JoinTokenRecord {
  /** Public part of the token (shown in lists, used to revoke). */
  readonly id: string;
  readonly kind: JoinTokenKind;
  /** SHA-256 (hex) of the secret part: the registry never holds a usable token. */
  readonly sha256: string;
  /** RFC 3339; the token is refused from then on. */
  readonly expiresAt: string;
  readonly revoked: boolean;
}

export interface RegistryState {
  readonly clusterId: string;
  readonly desiredVoters: number;
  readonly nextNodeId: number;
  readonly members: readonly MemberRecord[];
  readonly joinTokens: readonly JoinTokenRecord[];
  /** Bearer tokens of users (the admin), as hashes with identities. */
  readonly users: readonly TokenRecord[];
  /** Members removed for good (registry-membership.ts); absent in registries made before it. */
  readonly retired?: readonly RetiredMember[];
  /** Autopilot settings; absent means the defaults. */
  readonly autopilot?: AutopilotSettings;
}

export type RegistryCommand =
  | {
      readonly op: 'bootstrap';
      readonly clusterId: string;
      readonly desiredVoters: number;
      readonly founder: MemberRecord;
      readonly joinTokens: readonly JoinTokenRecord[];
      readonly users: readonly TokenRecord[];
    }
  | {
      readonly op: 'registerNode';
      readonly tokenId: string;
      readonly tokenSha256: string;
      /** When the proposer checked the token (its clock): expiry is judged against this. */
      readonly now: string;
      readonly name: string;
      readonly apiAddress: string;
      /** The joiner's Raft address, used once it is a voter (a worker may be made one later). */
      readonly raftAddress: string;
    }
  | { readonly op: 'addJoinToken'; readonly token: JoinTokenRecord }
  | { readonly op: 'revokeJoinToken'; readonly id: string }
  | MembershipCommand;

export type RegistryResult =
  | { readonly ok: true; readonly member?: MemberRecord; readonly token?: JoinTokenRecord }
  | { readonly ok: false; readonly kind: 'Unauthorized' | 'Invalid' | 'NotFound'; readonly message: string };

export const EMPTY_REGISTRY: RegistryState = {
  clusterId: '',
  desiredVoters: 0,
  nextNodeId: 1,
  members: [],
  joinTokens: [],
  users: [],
};

export const VOTER_COUNTS: readonly number[] = [1, 3, 5, 7];

/** Applies one command; returns the new state (the old one is never changed) and the result. */
export function applyRegistryCommand(
  state: RegistryState,
  command: RegistryCommand,
): { state: RegistryState; result: RegistryResult } {
  switch (command.op) {
    case 'setMemberRole':
    case 'retireMember':
    case 'rejoinMember':
    case 'setAutopilot':
    case 'setDesiredVoters':
      return applyMembershipCommand(state, command);
    case 'bootstrap': {
      if (state.clusterId !== '') {
        // The founder re-proposes after a restart until it sees this applied: harmless.
        return {
          state,
          result: { ok: true, member: state.members.find((m) => m.id === command.founder.id) },
        };
      }
      if (!VOTER_COUNTS.includes(command.desiredVoters)) {
        return fail(state, 'Invalid', `voters must be one of ${VOTER_COUNTS.join(', ')}`);
      }
      return {
        state: {
          clusterId: command.clusterId,
          desiredVoters: command.desiredVoters,
          nextNodeId: command.founder.id + 1,
          members: [command.founder],
          joinTokens: command.joinTokens,
          users: command.users,
        },
        result: { ok: true, member: command.founder },
      };
    }
    case 'registerNode': {
      if (state.clusterId === '') return fail(state, 'Invalid', 'the cluster is not bootstrapped yet; retry');
      const token = state.joinTokens.find((t) => t.id === command.tokenId);
      if (token === undefined || token.sha256 !== command.tokenSha256) {
        return fail(
          state,
          'Unauthorized',
          'the join token is not valid for this cluster; check it with the admin',
        );
      }
      if (token.revoked)
        return fail(state, 'Unauthorized', `join token ${token.id} was revoked; ask for a new one`);
      if (Date.parse(command.now) >= Date.parse(token.expiresAt)) {
        return fail(
          state,
          'Unauthorized',
          `join token ${token.id} expired at ${token.expiresAt}; create a new one with \`kedge token create\``,
        );
      }
      const voters = state.members.filter((m) => m.role === 'voter').length;
      const role: MemberRole = token.kind === 'voter' && voters < state.desiredVoters ? 'voter' : 'worker';
      const member: MemberRecord = {
        id: state.nextNodeId,
        name: command.name === '' ? `agent-${state.nextNodeId}` : command.name,
        role,
        apiAddress: command.apiAddress,
        raftAddress: command.raftAddress,
        joinedAt: command.now,
      };
      return {
        state: { ...state, nextNodeId: state.nextNodeId + 1, members: [...state.members, member] },
        result: { ok: true, member },
      };
    }
    case 'addJoinToken': {
      if (state.joinTokens.some((t) => t.id === command.token.id)) {
        return fail(state, 'Invalid', `a join token with id ${command.token.id} exists already`);
      }
      return {
        state: { ...state, joinTokens: [...state.joinTokens, command.token] },
        result: { ok: true, token: command.token },
      };
    }
    case 'revokeJoinToken': {
      const token = state.joinTokens.find((t) => t.id === command.id);
      if (token === undefined) return fail(state, 'NotFound', `no join token with id ${command.id}`);
      const revoked = { ...token, revoked: true };
      return {
        state: { ...state, joinTokens: state.joinTokens.map((t) => (t.id === command.id ? revoked : t)) },
        result: { ok: true, token: revoked },
      };
    }
  }
}

function fail(
  state: RegistryState,
  kind: 'Unauthorized' | 'Invalid' | 'NotFound',
  message: string,
): { state: RegistryState; result: RegistryResult } {
  return { state, result: { ok: false, kind, message } };
}

/** Checks the shape of a decoded registry command (entries come from the log: trust nothing). */
export function isRegistryCommand(x: unknown): x is RegistryCommand {
  if (typeof x !== 'object' || x === null) return false;
  const op = (x as { op?: unknown }).op;
  return (
    op === 'bootstrap' ||
    op === 'registerNode' ||
    op === 'addJoinToken' ||
    op === 'revokeJoinToken' ||
    (typeof op === 'string' && MEMBERSHIP_OPS.includes(op))
  );
}
