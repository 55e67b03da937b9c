// The simulation's only clock: a queue of timed actions, run one at a time in (time, insertion)
// order. Nothing in the simulator reads a real clock or schedules a real timer, which is what makes
// a seed replay exactly.

/** What model components need from the clock. */
export interface Scheduler {
  /** Simulated milliseconds since the start. */
  now(): number;
  /** Runs `action` at simulated time `time` (>= now). */
  at(time: number, action: () => void): void;
}

interface Timed {
  readonly time: number;
  readonly seq: number;
  readonly action: () => void;
}

/** A binary min-heap of timed actions. */
export class SimQueue implements Scheduler {
  #now = 0;
  #seq = 0;
  readonly #heap: Timed[] = [];

  now(): number {
    return this.#now;
  }

  at(time: number, action: () => void): void {
    if (time < this.#now) throw new Error(`sim-queue: cannot schedule at ${time}, now is ${this.#now}`);
    this.#push({ time, seq: this.#seq++, action });
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The time of the next action, or Infinity. */
  peekTime(): number {
    return this.#heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  /** Runs the next action if it is due by `until`; false when there is none. */
  runNext(until: number): boolean {
    const next = this.#heap[0];
    if (next === undefined || next.time > until) return false;
    this.#pop();
    this.#now = next.time;
    next.action();
    return true;
  }

  /** Moves the clock to `time` without running anything (only forward). */
  advanceTo(time: number): void {
    if (time > this.#now) this.#now = time;
  }

  #before(a: Timed, b: Timed): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #push(item: Timed): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i] as Timed, heap[parent] as Timed)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timed, heap[i] as Timed];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Timed;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#before(heap[left] as Timed, heap[smallest] as Timed)) smallest = left;
      if (right < heap.length && this.#before(heap[right] as Timed, heap[smallest] as Timed))
        smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Timed, heap[i] as Timed];
      i = smallest;
    }
  }
}
