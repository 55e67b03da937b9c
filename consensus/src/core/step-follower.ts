import { ConsensusError, type Message, NONE } from '../types.ts';
import { heardFromLeader } from './failover.ts';
import type { Raft, StepResult } from './raft.ts';
import { bcastAppend } from './replication.ts';
import { NO_ENTRIES } from './unstable.ts';

/** A follower's handling of a message of its own term (or a local request). */
export function stepFollower(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'prop':
      if (r.lead === NONE) return noLeader(r, 'proposal');
      if (r.cfg.disableProposalForwarding) {
        return new ConsensusError(
          'NotLeader',
          `node ${r.id} is not the leader and does not forward proposals; send them to node ${r.lead}`,
          r.lead,
        );
      }
      r.send({ type: 'prop', from: r.id, to: r.lead, term: 0, entries: m.entries ?? NO_ENTRIES });
      return undefined;
    case 'app':
      r.electionElapsed = 0;
      r.lead = m.from;
      heardFromLeader(r);
      handleAppendEntries(r, m);
      return undefined;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      heardFromLeader(r);
      handleHeartbeat(r, m);
      return undefined;
    case 'snap':
      r.electionElapsed = 0;
      r.lead = m.from;
      heardFromLeader(r);
      handleSnapshot(r, m);
      return undefined;
    case 'transferLeader':
      if (r.lead === NONE) return noLeader(r, 'leadership transfer');
      r.send({ type: 'transferLeader', from: m.from, to: r.lead, term: 0 });
      return undefined;
    case 'timeoutNow':
      // The leader chose us: campaign at once, skipping the pre-vote and others' leases.
      r.hup(true);
      return undefined;
    case 'readIndex':
      if (r.lead === NONE) return noLeader(r, 'read');
      r.send({
        type: 'readIndex',
        from: m.from,
        to: r.lead,
        term: 0,
        context: m.context ?? new Uint8Array(0),
      });
      return undefined;
    case 'readIndexResp':
      r.readStates.push({ index: m.index ?? 0, requestCtx: m.context ?? new Uint8Array(0) });
      return undefined;
    default:
      return undefined;
  }
}

/** A (pre-)candidate's handling of a message of its own term (or a local request). */
export function stepCandidate(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'prop':
      return noLeader(r, 'proposal');
    case 'readIndex':
      return noLeader(r, 'read');
    case 'app':
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return undefined;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return undefined;
    case 'snap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return undefined;
    case 'preVoteResp':
    case 'voteResp': {
      // Only answers to the election we are running count.
      if ((m.type === 'preVoteResp') !== (r.role === 'preCandidate')) return undefined;
      const result = r.poll(m.from, m.reject !== true);
      if (result === 'won') {
        if (r.role === 'preCandidate') {
          r.campaign('election', false);
        } else {
          r.becomeLeader();
          bcastAppend(r);
        }
      } else if (result === 'lost') {
        r.becomeFollower(r.term, NONE);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function noLeader(r: Raft, what: string): ConsensusError {
  return new ConsensusError(
    'ProposalDropped',
    `node ${r.id} knows no leader in term ${r.term} (election under way); retry the ${what} shortly`,
  );
}

function handleAppendEntries(r: Raft, m: Message): void {
  const index = m.index ?? 0;
  if (index < r.log.committed) {
    r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
    return;
  }
  const logTerm = m.logTerm ?? 0;
  const lastNew = r.log.maybeAppend(index, logTerm, m.commit ?? 0, m.entries ?? NO_ENTRIES);
  if (lastNew >= 0) {
    r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index: lastNew });
    return;
  }
  // Reject with a hint: our last index <= the leader's probe whose term is <= the leader's term
  // there. The leader can then skip whole terms instead of one entry per round trip.
  const hint = r.log.findConflictByTerm(Math.min(index, r.log.lastIndex()), logTerm);
  r.send({
    type: 'appResp',
    from: r.id,
    to: m.from,
    term: r.term,
    index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit ?? 0);
  if (m.context === undefined) r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term });
  else r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term, context: m.context });
}

function handleSnapshot(r: Raft, m: Message): void {
  const snapshot = m.snapshot;
  if (snapshot === undefined) return;
  const index = r.restore(snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index });
}
