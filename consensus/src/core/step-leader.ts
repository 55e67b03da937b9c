import { ConsensusError, type Entry, type Message } from '../types.ts';
import { confChangeRefusal, decodeConfChange } from './conf-change.ts';
import type { Progress } from './progress.ts';
import { hasQuorum } from './quorum.ts';
import type { Raft, StepResult } from './raft.ts';
import { bcastAppend, bcastHeartbeat, maybeSendAppend, sendAppend } from './replication.ts';

/** The leader's handling of a message of its own term (or a local request). */
export function stepLeader(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'prop':
      return propose(r, m);
    case 'readIndex':
      readIndex(r, m);
      return undefined;
    case 'transferLeader':
      transferLeader(r, m);
      return undefined;
    default:
      break;
  }
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return undefined;
  if (m.type === 'appResp') handleAppResp(r, m, pr);
  else if (m.type === 'heartbeatResp') handleHeartbeatResp(r, m, pr);
  return undefined;
}

function propose(r: Raft, m: Message): StepResult {
  const proposed = m.entries;
  if (proposed === undefined || proposed.length === 0) return undefined;
  if (!r.tracker.progress.has(r.id)) {
    return new ConsensusError(
      'ProposalDropped',
      `node ${r.id} was removed from the cluster; propose elsewhere`,
    );
  }
  if (r.leadTransferee !== 0) {
    return new ConsensusError(
      'ProposalDropped',
      `leadership is being transferred to ${r.leadTransferee}; retry with the new leader`,
      r.leadTransferee,
    );
  }
  let ents: readonly Entry[] = proposed;
  for (let i = 0; i < proposed.length; i++) {
    const e = proposed[i]!;
    if (e.type !== 'confChange') continue;
    if (confChangeAcceptable(r, e)) {
      r.pendingConfIndex = r.log.lastIndex() + i + 1;
    } else {
      // Forwarded changes that must not be made become no-ops (as in etcd): a local proposer was
      // already refused by RawNode with a ConsensusError before getting here.
      if (ents === proposed) ents = proposed.slice();
      (ents as Entry[])[i] = { term: 0, index: 0, type: 'normal', data: new Uint8Array(0) };
    }
  }
  if (!r.appendEntry(ents)) {
    return new ConsensusError(
      'ProposalDropped',
      'too many uncommitted bytes (maxUncommittedEntriesSize): followers are behind; retry later',
      r.id,
    );
  }
  bcastAppend(r);
  return undefined;
}

function confChangeAcceptable(r: Raft, e: Entry): boolean {
  if (r.pendingConfIndex > r.log.applied) return false;
  try {
    return confChangeRefusal(r.tracker.confState(), decodeConfChange(e.data), r.removed) === undefined;
  } catch (err) {
    // Undecodable change data from a peer: refuse it (it becomes a no-op entry).
    if (err instanceof ConsensusError) return false;
    throw err;
  }
}

function readIndex(r: Raft, m: Message): void {
  if (r.tracker.isSingleton()) {
    const resp = r.responseToReadIndexReq(m, r.log.committed);
    if (resp !== undefined) r.send(resp);
    return;
  }
  // Until it commits an entry of its term, a new leader does not know the true commit index.
  if (!r.committedEntryInCurrentTerm()) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

function sendReadIndexResponse(r: Raft, m: Message): void {
  r.readOnly.addRequest(r.log.committed, m);
  r.readOnly.recvAck(r.id, m.context);
  bcastHeartbeat(r);
}

/** Serves reads held back until this leader committed an entry of its own term. */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const held = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of held) sendReadIndexResponse(r, m);
}

function transferLeader(r: Raft, m: Message): void {
  const transferee = m.from;
  const pr = r.tracker.progress.get(transferee);
  if (pr === undefined || pr.isLearner) return;
  if (r.leadTransferee !== 0) {
    if (r.leadTransferee === transferee) return;
    r.leadTransferee = 0;
  }
  if (transferee === r.id) return;
  // The transfer must finish within an election timeout (tickHeartbeat aborts it).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(transferee);
  else sendAppend(r, transferee);
}

function handleAppResp(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  const index = m.index ?? 0;
  if (m.reject) {
    // Fast backtracking: the follower's hint names its last entry of a term <= ours there; skip
    // our own entries of terms newer than the follower's term at the hint.
    let next = m.rejectHint ?? 0;
    const logTerm = m.logTerm ?? 0;
    if (logTerm > 0) next = r.log.findConflictByTerm(next, logTerm).index;
    if (pr.maybeDecrTo(index, next)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  if (index > r.log.lastIndex()) return; // a peer claiming entries we never had
  const oldPaused = pr.isPaused();
  if (!pr.maybeUpdate(index) && !(pr.match === index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    // The follower caught up past the snapshot point (by the snapshot or otherwise).
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(index);
  }
  if (r.maybeCommit()) {
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else if (oldPaused && m.from !== r.id) {
    sendAppend(r, m.from);
  }
  if (m.from !== r.id) {
    // Pipelining: fill the window now instead of waiting for the next proposal.
    while (maybeSendAppend(r, m.from, false)) {
      // each call sends one more message
    }
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
}

function handleHeartbeatResp(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  if (pr.match < r.log.lastIndex() || pr.state === 'probe') sendAppend(r, m.from);
  const context = m.context;
  if (context === undefined || context.byteLength === 0) return;
  const acks = r.readOnly.recvAck(m.from, context);
  if (acks === undefined || !hasQuorum(r.tracker.voters, (id) => acks.has(id))) return;
  for (const rs of r.readOnly.advance(context)) {
    const resp = r.responseToReadIndexReq(rs.request, rs.index);
    if (resp !== undefined) r.send(resp);
  }
}
