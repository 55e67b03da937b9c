import type { NodeId } from '../types.ts';

export type VoteResult = 'won' | 'lost' | 'pending';

/** The size of a majority of `n` voters. */
export function majority(n: number): number {
  return (n >> 1) + 1;
}

/**
 * The highest index that a majority of voters has: sort the matches and take the one a majority
 * is at or above. Voter sets are small (3-7), so an insertion sort beats Array.prototype.sort.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  const sorted = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const m = matchOf(voters[i]!);
    let j = i;
    while (j > 0 && sorted[j - 1]! > m) {
      sorted[j] = sorted[j - 1]!;
      j--;
    }
    sorted[j] = m;
  }
  return sorted[n - majority(n)]!;
}

/** Whether the votes recorded so far already decide the election. Only voters count. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const n = voters.length;
  if (n === 0) return 'won';
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = majority(n);
  if (granted >= q) return 'won';
  if (n - rejected < q) return 'lost';
  return 'pending';
}

/** Whether the voters for which `has` holds form a majority. */
export function hasQuorum(voters: readonly NodeId[], has: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (has(id)) count++;
  return count >= majority(voters.length);
}
