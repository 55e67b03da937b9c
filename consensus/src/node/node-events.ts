// Typed notifications a RaftNode gives its owner: who leads, and what this node is.

import type { NodeId, Role } from '../types.ts';

export interface RaftNodeEvents {
  /** The known leader changed (NONE while an election is under way). */
  leader: { leader: NodeId; term: number };
  /** This node's role changed. */
  role: { role: Role; term: number };
  /** The node stopped: by stop(), or after a fatal error (failed fsync, corrupt entry) it reports. */
  stopped: { error: Error | undefined };
}

type Listener<K extends keyof RaftNodeEvents> = (payload: RaftNodeEvents[K]) => void;

export class NodeEvents {
  readonly #listeners: { [K in keyof RaftNodeEvents]: Set<Listener<K>> } = {
    leader: new Set(),
    role: new Set(),
    stopped: new Set(),
  };

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof RaftNodeEvents>(event: K, listener: Listener<K>): () => void {
    const set = this.#listeners[event] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof RaftNodeEvents>(event: K, payload: RaftNodeEvents[K]): void {
    for (const listener of this.#listeners[event] as Set<Listener<K>>) {
      // A listener's failure must not break the Raft loop that called it.
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
