import { CAMPAIGN_TRANSFER, type Message, type MessageType, NONE, type NodeId } from '../types.ts';
import type { Raft } from './raft.ts';

// Elections: pre-elections (PreVote), elections, vote granting, and the fast-failover hint.

/** Starts an election (a pre-election first when PreVote is on, unless it is a transfer). */
export function hup(r: Raft, transfer: boolean): void {
  if (r.role === 'leader' || !r.promotable()) return;
  // A committed but unapplied membership change could make us campaign in the wrong configuration.
  if (hasUnappliedConfChange(r)) return;
  if (r.cfg.preVote && !transfer) campaign(r, 'preElection', false);
  else campaign(r, 'election', transfer);
}

function hasUnappliedConfChange(r: Raft): boolean {
  const lo = r.log.applied + 1;
  if (lo > r.log.committed || lo < r.log.firstIndex()) return false;
  const ents = r.log.slice(lo, r.log.committed + 1, Number.POSITIVE_INFINITY);
  for (const e of ents) if (e.type === 'confChange') return true;
  return false;
}

export function campaign(r: Raft, kind: 'preElection' | 'election', transfer: boolean): void {
  let term: number;
  let voteType: MessageType;
  let respType: MessageType;
  if (kind === 'preElection') {
    r.becomePreCandidate();
    voteType = 'preVote';
    respType = 'preVoteResp';
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    voteType = 'vote';
    respType = 'voteResp';
    term = r.term;
  }
  const lastIndex = r.log.lastIndex();
  const lastTerm = r.log.lastTerm();
  for (const id of r.tracker.voters) {
    if (id === r.id) {
      // Our own vote counts once it is durable: it is stepped on advance.
      r.send({ type: respType, from: id, to: id, term });
    } else if (transfer) {
      r.send({
        type: voteType,
        from: r.id,
        to: id,
        term,
        index: lastIndex,
        logTerm: lastTerm,
        context: CAMPAIGN_TRANSFER,
      });
    } else {
      r.send({ type: voteType, from: r.id, to: id, term, index: lastIndex, logTerm: lastTerm });
    }
  }
}

/** Hint that the connection to `leader` dropped: if it is ours, start a pre-election now. */
export function leaderConnectionLost(r: Raft, leader: NodeId): void {
  if (leader === NONE || leader === r.id || r.lead !== leader || r.role !== 'follower') return;
  if (!r.cfg.preVote) {
    // Without PreVote an early campaign would bump the term of a leader that may be alive: only
    // expire our lease, so that our vote is available to others and our own timeout comes sooner.
    r.electionElapsed = Math.max(r.electionElapsed, r.cfg.electionTick);
    return;
  }
  r.electionElapsed = 0;
  hup(r, false);
}

/** Grants or refuses a (pre)vote: one vote per term, only for a log at least as up to date as ours. */
export function handleVoteRequest(r: Raft, m: Message): void {
  const respType: MessageType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
  const canVote =
    r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (m.type === 'preVote' && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
    // A granted vote answers at the request's term so the candidate counts it.
    r.send({ type: respType, from: r.id, to: m.from, term: m.term });
    if (m.type === 'vote') {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
  }
}

/** Whether a vote request comes from a leadership transfer (it overrides leader leases). */
export function isTransferCampaign(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== CAMPAIGN_TRANSFER.byteLength) return false;
  for (let i = 0; i < context.byteLength; i++) if (context[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}
