// Promises waiting for something the Raft loop will see later (an applied proposal, a read index,
// a conf change), each with a deadline so that no caller waits forever on a lost message.

import { ConsensusError } from '../types.ts';

interface Waiter<V> {
  resolve(value: V): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** Free-form tag the owner filters on (e.g. the leader at the time of the request). */
  tag: number;
}

export class PendingRequests<K, V> {
  readonly #waiters = new Map<K, Waiter<V>>();
  readonly #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  get size(): number {
    return this.#waiters.size;
  }

  has(key: K): boolean {
    return this.#waiters.has(key);
  }

  /** Registers a waiter that fails with Timeout after timeoutMs. */
  add(key: K, timeoutMs: number, tag = 0): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(
          new ConsensusError(
            'Timeout',
            `${this.#what} not done within ${timeoutMs} ms (no quorum or leader lost?); it may still take effect`,
          ),
        );
      }, timeoutMs);
      this.#waiters.set(key, { resolve, reject, timer, tag });
    });
  }

  resolve(key: K, value: V): boolean {
    const waiter = this.#waiters.get(key);
    if (!waiter) return false;
    this.#waiters.delete(key);
    clearTimeout(waiter.timer);
    waiter.resolve(value);
    return true;
  }

  reject(key: K, error: Error): boolean {
    const waiter = this.#waiters.get(key);
    if (!waiter) return false;
    this.#waiters.delete(key);
    clearTimeout(waiter.timer);
    waiter.reject(error);
    return true;
  }

  /** Rejects every waiter whose tag matches (all when no filter is given). */
  rejectWhere(error: Error, filter: (key: K, tag: number) => boolean = () => true): void {
    for (const [key, waiter] of this.#waiters) {
      if (filter(key, waiter.tag)) this.reject(key, error);
    }
  }

  keys(): IterableIterator<K> {
    return this.#waiters.keys();
  }
}
