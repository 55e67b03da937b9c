/**
 * The leader changes the page has seen, from successive cluster-status documents: a new entry
 * when the leader or its term changes, an 'election' entry while no leader is known, and none
 * for a document older (lower term) than one already seen — a lagging voter must not make the
 * timeline go backwards.
 */
/** @typedef {import('./kube-types.js').ClusterStatus} ClusterStatus */

/**
 * @typedef {{ at: number, term: number, kind: 'leader' | 'election', leaderId: number, leaderName: string }} TimelineEntry
 */

/**
 * @param {readonly TimelineEntry[]} timeline
 * @param {ClusterStatus} status
 * @param {number} now ms since the epoch, when the document arrived
 * @param {number} [limit]
 * @returns {TimelineEntry[]}
 */
export function observeLeadership(timeline, status, now, limit = 50) {
  const last = timeline.at(-1);
  if (last !== undefined && status.term < last.term) return [...timeline];
  const leaderId = status.leader;
  if (last !== undefined && last.leaderId === leaderId && (leaderId === 0 || last.term === status.term)) {
    return [...timeline];
  }
  const member = status.members.find((m) => m.id === leaderId);
  /** @type {TimelineEntry} */
  const entry = {
    at: now,
    term: status.term,
    kind: leaderId === 0 ? 'election' : 'leader',
    leaderId,
    leaderName: leaderId === 0 ? '' : (member?.name ?? `node ${leaderId}`),
  };
  return [...timeline, entry].slice(-limit);
}

/**
 * What the page says about the control plane now.
 * @param {ClusterStatus} status
 * @returns {{ kind: 'leader', name: string, id: number } | { kind: 'election', reason: string }}
 */
export function leadershipOf(status) {
  if (status.leader === 0)
    return { kind: 'election', reason: `no leader in term ${status.term}; voters are electing one` };
  const leader = status.members.find((m) => m.id === status.leader);
  if (leader === undefined) return { kind: 'election', reason: `leader ${status.leader} is not a member` };
  if (healthOf(leader.health).state !== 'healthy') {
    return { kind: 'election', reason: `leader ${leader.name} is ${leader.health}; an election follows` };
  }
  return { kind: 'leader', name: leader.name, id: leader.id };
}

/**
 * "unreachable (connect ECONNREFUSED)" -> { state: 'unreachable', reason: 'connect ECONNREFUSED' }
 * @param {string} health
 */
export function healthOf(health) {
  const match = /^([^(]*?)\s*(?:\((.*)\))?$/.exec(health);
  return { state: (match?.[1] ?? health).trim() || 'unknown', reason: match?.[2] ?? '' };
}
