import type { Entry, NodeId } from '../types.ts';
import type { Progress } from './progress.ts';
import type { Raft } from './raft.ts';
import { entrySize } from './raft-log.ts';
import { NO_ENTRIES } from './unstable.ts';

/** Sends `to` its next entries, or an empty 'app' (a probe / commit update) if there are none. */
export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends `to` the entries from its `next` index, at most maxSizePerMsg bytes, unless its progress
 * is paused (probe outstanding, window full, snapshot under way). Falls back to a snapshot when
 * those entries are compacted. Returns whether a message was sent, so callers can pipeline by
 * calling it until it returns false.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.tracker.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) return maybeSendSnapshot(r, to, pr);
  let ents: readonly Entry[] = NO_ENTRIES;
  // With a full window send only empty appends: if the inflight ones were lost, the empty one's
  // answer (accept or reject) is what frees the window again.
  if ((pr.state !== 'replicate' || !pr.inflights.full()) && pr.next <= r.log.lastIndex()) {
    ents = r.log.entries(pr.next, r.cfg.maxSizePerMsg);
  }
  if (ents.length === 0 && !sendIfEmpty) return false;
  let bytes = 0;
  for (const e of ents) bytes += entrySize(e);
  r.send({
    type: 'app',
    from: r.id,
    to,
    term: r.term,
    index: prevIndex,
    logTerm: prevTerm,
    entries: ents,
    commit: r.log.committed,
  });
  pr.sentEntries(ents.length, bytes);
  return true;
}

function maybeSendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  // A member that has not answered lately may be gone: do not ship it a whole snapshot.
  if (!pr.recentActive) return false;
  const snapshot = r.log.snapshot();
  r.send({ type: 'snap', from: r.id, to, term: r.term, snapshot });
  pr.becomeSnapshot(snapshot.metadata.index);
  return true;
}

export function bcastAppend(r: Raft): void {
  for (const id of r.tracker.progress.keys()) if (id !== r.id) sendAppend(r, id);
}

/**
 * Heartbeats carry the commit index each member can take (never past its match, which it might
 * not have) and the newest pending ReadIndex context, so their acks confirm leadership for reads.
 */
export function bcastHeartbeat(r: Raft): void {
  const context = r.readOnly.lastPendingContext();
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    const commit = Math.min(pr.match, r.log.committed);
    if (context === undefined) r.send({ type: 'heartbeat', from: r.id, to: id, term: r.term, commit });
    else r.send({ type: 'heartbeat', from: r.id, to: id, term: r.term, commit, context });
  }
}
