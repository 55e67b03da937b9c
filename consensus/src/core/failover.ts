import { type Message, NONE, type NodeId } from '../types.ts';
import type { Raft } from './raft.ts';

// Fast failover on the transport's hint that the leader's connection dropped (its process died).
//
// Every follower that gets the hint drops its leader lease at once, so its (pre)vote is available,
// but only one campaigns at once: survivors that all campaigned in the same instant would grant
// each other's pre-votes, vote for themselves and split the vote, costing a full randomized
// election timeout. Who goes first is a deterministic rank among the voters other than the lost
// leader (lowest id first); rank r campaigns after r staggers if still no leader is known.
//
//   hint ──► lead = NONE (lease dropped) ──► answer pre-votes we ignored under the lease
//                                       ├──► rank 0: pre-vote now
//                                       └──► rank r: pre-vote in r * stagger ticks, unless a leader
//                                            or a new term turns up first
//   a candidate whose log is behind ours asks for our (pre)vote: we refuse, pass it over and rank
//   again without it, so the next in line campaigns now instead of after its stagger
//   two pre-campaign at once: the one first in line refuses the other (claimPrecedence)
//   the election timeout fires: the line-up is forgotten, plain Raft from there on
//
// A live leader is safe: members that still hear it keep their lease and ignore pre-votes (with
// PreVote and CheckQuorum), so a hint at some followers only makes them pre-campaign in vain until
// the next heartbeat. Hints at every follower of a live leader do depose it: they are all saying
// it is gone.

/** What a follower remembers between the hint and the next leader or term. */
export interface Failover {
  /** Voters that will not be asked to lead: the lost leader, and candidates whose log was behind ours. */
  readonly passedOver: Set<NodeId>;
  /** Ticks until we campaign if no leader is known by then; 0 when nothing is scheduled. */
  campaignIn: number;
}

/**
 * Ticks between ranks: long enough for the first in line to finish a pre-vote round before the
 * next one starts (a tick is typically 10-100 ms, a round trip under a millisecond to a few), short
 * against the election timeout that the hint exists to save.
 */
export function failoverStagger(electionTick: number): number {
  return Math.max(1, Math.ceil(electionTick / 10));
}

/** Hint that the connection to `leader` dropped: if it is ours, drop the lease and line up to campaign. */
export function leaderConnectionLost(r: Raft, leader: NodeId): void {
  if (leader === NONE || leader === r.id || r.lead !== leader || r.role !== 'follower') return;
  if (!r.cfg.preVote || !r.cfg.checkQuorum) {
    // Without PreVote an early campaign would bump the term of a leader that may be alive, and
    // without CheckQuorum nobody holds a lease that would refuse it: only expire our lease, so that
    // our vote is available to others and our own timeout comes sooner.
    r.electionElapsed = Math.max(r.electionElapsed, r.cfg.electionTick);
    return;
  }
  r.lead = NONE;
  r.failover = { passedOver: new Set([leader]), campaignIn: 0 };
  // Another survivor may have heard first and asked while we still held the lease: answer it now
  // (the lease is gone) rather than make it wait for our turn.
  const held = [...r.heldPreVotes.values()];
  r.heldPreVotes.clear();
  for (const m of held) r.step(m);
  lineUp(r);
}

/** A pre-vote ignored under the lease: kept (latest per sender) until we hear the leader again. */
export function holdPreVote(r: Raft, m: Message): void {
  if (r.role === 'follower' && r.tracker.isVoter(m.from)) r.heldPreVotes.set(m.from, m);
}

/** The leader is there after all (or a new one is): forget the hint and the pre-votes held. */
export function heardFromLeader(r: Raft): void {
  r.failover = undefined;
  r.heldPreVotes.clear();
}

/** On each follower tick: campaign when our turn comes and still no leader is known. */
export function tickFailover(r: Raft): void {
  const f = r.failover;
  if (f === undefined || f.campaignIn === 0) return;
  f.campaignIn--;
  if (f.campaignIn === 0 && r.role === 'follower' && r.lead === NONE) r.hup(false);
}

/**
 * We refused `candidate` because our log is more up to date: it cannot win with our vote, and
 * others in line may be ahead of it too. Rank again without it, which puts the next in line first.
 */
export function passOver(r: Raft, candidate: NodeId): void {
  const f = r.failover;
  if (f === undefined || r.lead !== NONE || f.passedOver.has(candidate)) return;
  if (!r.tracker.isVoter(candidate)) return;
  f.passedOver.add(candidate);
  lineUp(r);
}

/**
 * Survivors lined up by the hint can still pre-campaign together (hints milliseconds
 * apart, a lost message, a stagger cut short by the tick phase). Both would grant each other's
 * pre-vote and split the real vote, so while we pre-campaign we refuse a pre-vote from a voter
 * after us in line whose log is no better than ours, and ask it for its pre-vote again (our request
 * may be what was lost): it grants ours, as it is behind us in line. A log strictly better than
 * ours wins over the line. Returns whether `m` was answered this way.
 */
export function claimPrecedence(r: Raft, m: Message): boolean {
  const f = r.failover;
  if (f === undefined || r.role !== 'preCandidate' || m.type !== 'preVote') return false;
  const index = m.index ?? 0;
  const logTerm = m.logTerm ?? 0;
  const ourTerm = r.log.lastTerm();
  const ourIndex = r.log.lastIndex();
  if (logTerm > ourTerm || (logTerm === ourTerm && index > ourIndex)) return false;
  const theirs = failoverRank(r.tracker.voters, f.passedOver, m.from);
  const ours = failoverRank(r.tracker.voters, f.passedOver, r.id);
  if (ours < 0 || theirs < ours) return false;
  r.send({ type: 'preVoteResp', from: r.id, to: m.from, term: r.term, reject: true });
  r.send({ type: 'preVote', from: r.id, to: m.from, term: r.term + 1, index: ourIndex, logTerm: ourTerm });
  return true;
}

/** Campaigns now if we are first in line, else schedules our turn (never later than already planned). */
function lineUp(r: Raft): void {
  const f = r.failover;
  if (f === undefined || !r.promotable()) return;
  const rank = failoverRank(r.tracker.voters, f.passedOver, r.id);
  if (rank < 0) return;
  if (rank === 0) {
    f.campaignIn = 0;
    if (r.role === 'follower') r.hup(false);
    return;
  }
  const wait = rank * failoverStagger(r.cfg.electionTick);
  f.campaignIn = f.campaignIn === 0 ? wait : Math.min(f.campaignIn, wait);
}

/** Our place among the voters not passed over, lowest id first; -1 when we are not among them. */
export function failoverRank(
  voters: readonly NodeId[],
  passedOver: ReadonlySet<NodeId>,
  self: NodeId,
): number {
  if (!voters.includes(self) || passedOver.has(self)) return -1;
  let rank = 0;
  for (const id of voters) if (id < self && !passedOver.has(id)) rank++;
  return rank;
}
