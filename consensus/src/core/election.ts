import { CAMPAIGN_TRANSFER, type Message, type MessageType, NONE, type NodeId } from '../types.ts';
import { claimPrecedence, passOver } from './failover.ts';
import type { Raft } from './raft.ts';

// Elections: pre-elections (PreVote), elections and vote granting. The transport's hint that the
// leader is gone is in failover.ts.

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
  let respType: MessageType;
  let term: number;
  if (kind === 'preElection') {
    r.becomePreCandidate();
    respType = 'preVoteResp';
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    respType = 'voteResp';
    term = r.term;
  }
  r.campaignTransfer = transfer;
  for (const id of r.tracker.voters) {
    // Our own vote counts once it is durable: it is stepped on advance.
    if (id === r.id) r.send({ type: respType, from: id, to: id, term });
    else sendVoteRequest(r, id);
  }
}

/**
 * A (pre)candidate asks again, on each tick, the voters that have not answered: one lost request
 * would otherwise cost a whole election timeout. Asking twice is harmless: a voter grants the
 * same candidate again, and only its first answer is counted.
 */
export function resendVoteRequests(r: Raft): void {
  if (r.role !== 'preCandidate' && r.role !== 'candidate') return;
  for (const id of r.tracker.voters) if (id !== r.id && !r.tracker.votes.has(id)) sendVoteRequest(r, id);
}

function sendVoteRequest(r: Raft, to: NodeId): void {
  const pre = r.role === 'preCandidate';
  const m: Message = {
    type: pre ? 'preVote' : 'vote',
    from: r.id,
    to,
    term: pre ? r.term + 1 : r.term,
    index: r.log.lastIndex(),
    logTerm: r.log.lastTerm(),
  };
  r.send(r.campaignTransfer ? { ...m, context: CAMPAIGN_TRANSFER } : m);
}

/** Grants or refuses a (pre)vote: one vote per term, only for a log at least as up to date as ours. */
export function handleVoteRequest(r: Raft, m: Message): void {
  const respType: MessageType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
  const canVote =
    r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (m.type === 'preVote' && m.term > r.term);
  if (claimPrecedence(r, m)) return;
  const upToDate = r.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0);
  if (canVote && upToDate) {
    // A granted vote answers at the request's term so the candidate counts it.
    r.send({ type: respType, from: r.id, to: m.from, term: m.term });
    if (m.type === 'vote') {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
    // After a lost leader, a candidate behind us cannot win: let the next in line campaign now.
    if (!upToDate) passOver(r, m.from);
  }
}

/** Whether a vote request comes from a leadership transfer (it overrides leader leases). */
export function isTransferCampaign(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== CAMPAIGN_TRANSFER.byteLength) return false;
  for (let i = 0; i < context.byteLength; i++) if (context[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}
