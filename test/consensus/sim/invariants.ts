// Raft's safety properties (Figure 3 of the paper), checked as the simulation runs. Each check is
// incremental (it looks only at what just happened) except the log scan, which the cluster runs
// every few hundred events and at the end. A violation throws at once, so the seed's trace ends
// where the bug shows.

import type { Entry, NodeId } from '../../../consensus/src/types.ts';

export type InvariantKind =
  | 'electionSafety' // two leaders in one term
  | 'stateMachineSafety' // two different entries applied/committed at one index
  | 'applyOrder' // a node applied a gap, a repeat, or went backwards
  | 'commitRegressed' // a node's commit index went down without a restart
  | 'logMatching' // same (index, term) on two nodes but different entries or different prefixes
  | 'committedPrefix'; // a node's log disagrees with what was committed at or below its commit

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
  readonly kind: InvariantKind;

  constructor(kind: InvariantKind, message: string) {
    super(`${kind}: ${message}`);
    this.kind = kind;
  }
}

/** A node's durable log as the checker sees it. */
export interface LogView {
  readonly nodeId: NodeId;
  /** Entries from firstIndex on, contiguous. */
  readonly entries: readonly Entry[];
  /** The node's durable commit index (from the hard state persisted with these entries). */
  readonly commit: number;
}

const decoder = new TextDecoder('latin1');

/** What identifies an entry: its term, its type and its bytes. */
export function fingerprint(entry: Entry): string {
  return `${entry.term}/${entry.type}/${decoder.decode(entry.data)}`;
}

export class InvariantChecker {
  readonly #leaderOfTerm = new Map<number, NodeId>();
  /** index -> fingerprint of the entry committed there (learned from any node's committedEntries). */
  readonly #committed = new Map<number, string>();
  /** "index/term" -> fingerprint: the same (index, term) must always be the same entry. */
  readonly #byIndexTerm = new Map<string, string>();
  readonly #commitOf = new Map<NodeId, { incarnation: number; commit: number }>();
  readonly #appliedOf = new Map<NodeId, { incarnation: number; applied: number }>();
  #highestCommitted = 0;

  /** A node reports being leader of `term`. */
  observeLeader(nodeId: NodeId, term: number): void {
    const known = this.#leaderOfTerm.get(term);
    if (known === undefined) this.#leaderOfTerm.set(term, nodeId);
    else if (known !== nodeId) {
      throw new InvariantViolation(
        'electionSafety',
        `nodes ${known} and ${nodeId} were both leader in term ${term}`,
      );
    }
  }

  /** A node's hard state commit index (per process incarnation: a restart may reload a lower one). */
  observeCommit(nodeId: NodeId, incarnation: number, commit: number): void {
    const last = this.#commitOf.get(nodeId);
    if (last !== undefined && last.incarnation === incarnation && commit < last.commit) {
      throw new InvariantViolation(
        'commitRegressed',
        `node ${nodeId}'s commit went from ${last.commit} to ${commit} while it was running`,
      );
    }
    this.#commitOf.set(nodeId, { incarnation, commit });
  }

  /** A (re)started node's state machine begins after `applied` (its snapshot's index). */
  observeRestart(nodeId: NodeId, incarnation: number, applied: number): void {
    this.#appliedOf.set(nodeId, { incarnation, applied });
  }

  /** A node installs a snapshot into its state machine. */
  observeSnapshotApplied(nodeId: NodeId, incarnation: number, index: number, term: number): void {
    const state = this.#appliedOf.get(nodeId);
    if (state !== undefined && state.incarnation === incarnation && index < state.applied) {
      throw new InvariantViolation(
        'applyOrder',
        `node ${nodeId} installed a snapshot at ${index} after applying up to ${state.applied}`,
      );
    }
    const committedHere = this.#committed.get(index);
    if (committedHere !== undefined && !committedHere.startsWith(`${term}/`)) {
      throw new InvariantViolation(
        'stateMachineSafety',
        `node ${nodeId} installed a snapshot at ${index} term ${term}, but ${committedHere.split('/')[0]} was committed there`,
      );
    }
    this.#appliedOf.set(nodeId, { incarnation, applied: index });
  }

  /** A node applies committed entries: they must follow its last applied index and agree globally. */
  observeApplied(nodeId: NodeId, incarnation: number, entries: readonly Entry[]): void {
    const state = this.#appliedOf.get(nodeId) ?? { incarnation, applied: 0 };
    let applied = state.incarnation === incarnation ? state.applied : 0;
    for (const entry of entries) {
      if (entry.index !== applied + 1) {
        throw new InvariantViolation(
          'applyOrder',
          `node ${nodeId} applied index ${entry.index} right after ${applied}`,
        );
      }
      applied = entry.index;
      this.#recordCommitted(nodeId, entry);
    }
    this.#appliedOf.set(nodeId, { incarnation, applied });
  }

  /** Entries a node persists: one (index, term) is one entry, everywhere and forever. */
  observePersisted(nodeId: NodeId, entries: readonly Entry[]): void {
    for (const entry of entries) {
      const key = `${entry.index}/${entry.term}`;
      const print = fingerprint(entry);
      const known = this.#byIndexTerm.get(key);
      if (known === undefined) this.#byIndexTerm.set(key, print);
      else if (known !== print) {
        throw new InvariantViolation(
          'logMatching',
          `node ${nodeId} persisted a different entry at index ${entry.index} term ${entry.term}`,
        );
      }
    }
  }

  /**
   * Scans durable logs: entries at or below a node's commit must be the committed ones, and two
   * logs that share an (index, term) must agree on every entry before it (Log Matching).
   */
  checkLogs(logs: readonly LogView[]): void {
    for (const log of logs) {
      for (const entry of log.entries) {
        if (entry.index > log.commit) break;
        const committed = this.#committed.get(entry.index);
        if (committed !== undefined && committed !== fingerprint(entry)) {
          throw new InvariantViolation(
            'committedPrefix',
            `node ${log.nodeId} has a different entry at committed index ${entry.index} (its commit is ${log.commit})`,
          );
        }
      }
    }
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) checkPair(logs[a] as LogView, logs[b] as LogView);
    }
  }

  /** How many terms have had a leader (each one is an election someone won). */
  get electedTerms(): number {
    return this.#leaderOfTerm.size;
  }

  /** The highest index any node has applied. */
  get highestCommitted(): number {
    return this.#highestCommitted;
  }

  /** The fingerprint of the entry committed at `index`, if any node applied it. */
  committedAt(index: number): string | undefined {
    return this.#committed.get(index);
  }

  #recordCommitted(nodeId: NodeId, entry: Entry): void {
    const print = fingerprint(entry);
    const known = this.#committed.get(entry.index);
    if (known === undefined) {
      this.#committed.set(entry.index, print);
      if (entry.index > this.#highestCommitted) this.#highestCommitted = entry.index;
    } else if (known !== print) {
      throw new InvariantViolation(
        'stateMachineSafety',
        `node ${nodeId} applied ${print.slice(0, 60)} at index ${entry.index}, but ${known.slice(0, 60)} was applied there before`,
      );
    }
  }
}

function checkPair(a: LogView, b: LogView): void {
  const firstA = a.entries[0]?.index;
  const firstB = b.entries[0]?.index;
  if (firstA === undefined || firstB === undefined) return;
  const lo = Math.max(firstA, firstB);
  const hi = Math.min(firstA + a.entries.length - 1, firstB + b.entries.length - 1);
  // The highest index in the overlap where the terms agree: everything up to it must be identical.
  let match = hi;
  while (match >= lo && a.entries[match - firstA]?.term !== b.entries[match - firstB]?.term) match--;
  for (let i = match; i >= lo; i--) {
    const ea = a.entries[i - firstA] as Entry;
    const eb = b.entries[i - firstB] as Entry;
    if (fingerprint(ea) !== fingerprint(eb)) {
      throw new InvariantViolation(
        'logMatching',
        `nodes ${a.nodeId} and ${b.nodeId} agree on index ${match} term ${ea.term} but differ at index ${i}`,
      );
    }
  }
}
