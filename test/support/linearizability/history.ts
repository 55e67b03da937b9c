// A concurrent history: every operation a client invoked, when it was invoked and when (and with
// what) it returned. Times are any totally ordered numbers; a recorder hands out a logical clock so
// that every event has its own instant and real-time order is exact.

/** One client operation. An unknown outcome (timed out, client crashed) has return = Infinity. */
export interface Operation<Input, Output> {
  readonly id: number;
  readonly clientId: number;
  readonly input: Input;
  /** When the client invoked the operation. */
  readonly call: number;
  /** When the client saw the response; Infinity if it never did. */
  readonly return: number;
  /** The response; undefined when the outcome is unknown (it may or may not have taken effect). */
  readonly output: Output | undefined;
}

/** Records a history as it happens, with a logical clock that ticks on every event. */
export class HistoryRecorder<Input, Output> {
  #clock = 0;
  #nextId = 1;
  readonly #open = new Map<number, { clientId: number; input: Input; call: number }>();
  readonly #done: Operation<Input, Output>[] = [];

  /** Records an invocation and returns the operation's id. */
  invoke(clientId: number, input: Input): number {
    const id = this.#nextId++;
    this.#open.set(id, { clientId, input, call: ++this.#clock });
    return id;
  }

  /** Records the response the client saw. */
  complete(id: number, output: Output): void {
    const open = this.#take(id);
    this.#done.push({ id, ...open, return: ++this.#clock, output });
  }

  /** Records that the client gave up without knowing whether the operation took effect. */
  unknown(id: number): void {
    const open = this.#take(id);
    this.#done.push({ id, ...open, return: Number.POSITIVE_INFINITY, output: undefined });
  }

  /** Whether an operation is still waiting for its outcome. */
  isOpen(id: number): boolean {
    return this.#open.has(id);
  }

  /** The history so far; operations still open count as unknown outcomes. */
  operations(): Operation<Input, Output>[] {
    const pending = [...this.#open].map(([id, open]) => ({
      id,
      ...open,
      return: Number.POSITIVE_INFINITY,
      output: undefined,
    }));
    return [...this.#done, ...pending].sort((a, b) => a.call - b.call);
  }

  #take(id: number): { clientId: number; input: Input; call: number } {
    const open = this.#open.get(id);
    if (open === undefined) throw new Error(`history: operation ${id} is not open (completed twice?)`);
    this.#open.delete(id);
    return open;
  }
}
