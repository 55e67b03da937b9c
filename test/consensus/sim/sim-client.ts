// A simulated client: it sends one key/value operation at a time to the node it believes is the
// leader, follows NotLeader hints, retries refused proposals elsewhere, and gives up after a
// timeout. Every operation goes into the shared history: completed with the answer it saw, or
// with an unknown outcome when it gave up (a put that timed out may still be applied later).
//
//   pick op -> invoke (history) -> submit/read on target node
//     refused (ConsensusError) -> switch target, retry after a backoff, same operation
//     answered                 -> complete (history) -> think -> next op
//     deadline passed          -> unknown (history) -> next op

import { ConsensusError, type NodeId } from '../../../consensus/src/types.ts';
import type { HistoryRecorder, KvInput, KvOutput } from '../../support/linearizability/index.ts';
import type { Prng } from '../../support/prng.ts';
import type { SimNode } from './sim-node.ts';
import type { Scheduler } from './sim-queue.ts';

export interface ClientOptions {
  readonly keys: readonly string[];
  /** Give up on an operation after this long (simulated ms). */
  readonly timeoutMs: number;
  /** Pause between operations, uniform in [0, thinkMs]. */
  readonly thinkMs: number;
  /** Pause before retrying a refused operation. */
  readonly retryMs: number;
  /** Share of reads that go through the log instead of ReadIndex. */
  readonly logReadShare: number;
  /** Share of operations that are writes. */
  readonly writeShare: number;
}

export interface ClientDirectory {
  /** The node processes a client may contact (running or not: a client cannot tell). */
  nodes(): readonly SimNode[];
}

export interface ClientStats {
  ok: number;
  unknown: number;
  refused: number;
}

export class SimClient {
  readonly id: number;
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly #history: HistoryRecorder<KvInput, KvOutput>;
  readonly #directory: ClientDirectory;
  readonly #options: ClientOptions;
  #target: NodeId | undefined;
  #seq = 0;
  #stopped = false;
  /** Set while an operation is outstanding: its history id and its deadline. */
  #current: { historyId: number; deadline: number } | undefined;
  readonly stats: ClientStats = { ok: 0, unknown: 0, refused: 0 };

  constructor(
    id: number,
    scheduler: Scheduler,
    prng: Prng,
    history: HistoryRecorder<KvInput, KvOutput>,
    directory: ClientDirectory,
    options: ClientOptions,
  ) {
    this.id = id;
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.#history = history;
    this.#directory = directory;
    this.#options = options;
  }

  /** Starts issuing operations after a random think time. */
  start(): void {
    this.#later(this.#prng.float() * this.#options.thinkMs, () => this.#next());
  }

  /** Stops issuing new operations; an outstanding one still completes or times out. */
  stop(): void {
    this.#stopped = true;
  }

  get busy(): boolean {
    return this.#current !== undefined;
  }

  #later(delay: number, action: () => void): void {
    this.#scheduler.at(this.#scheduler.now() + delay, action);
  }

  #next(): void {
    if (this.#stopped) return;
    const key = this.#prng.pick(this.#options.keys);
    const seq = ++this.#seq;
    const roll = this.#prng.float();
    let input: KvInput;
    let viaLog = false;
    if (roll < this.#options.writeShare) {
      input = { op: 'put', key, value: `c${this.id}.${seq}` };
    } else {
      input = { op: 'get', key };
      viaLog = this.#prng.chance(this.#options.logReadShare);
    }
    const historyId = this.#history.invoke(this.id, input);
    const current = { historyId, deadline: this.#scheduler.now() + this.#options.timeoutMs };
    this.#current = current;
    this.#scheduler.at(current.deadline, () => {
      if (this.#current !== current) return;
      this.#current = undefined;
      this.#history.unknown(historyId);
      this.stats.unknown++;
      this.#target = undefined; // whoever we were talking to did not answer: look elsewhere
      this.#later(this.#prng.float() * this.#options.thinkMs, () => this.#next());
    });
    this.#attempt(current, input, seq, viaLog);
  }

  #attempt(
    current: { historyId: number; deadline: number },
    input: KvInput,
    seq: number,
    viaLog: boolean,
  ): void {
    if (this.#current !== current) return;
    const node = this.#chooseNode();
    const answer = (output: KvOutput) => {
      if (this.#current !== current) return; // already given up: the answer arrives too late
      this.#current = undefined;
      this.#history.complete(current.historyId, output);
      this.stats.ok++;
      this.#later(this.#prng.float() * this.#options.thinkMs, () => this.#next());
    };
    try {
      if (!node.alive) throw new ConsensusError('Stopped', `node ${node.id} is down`);
      if (input.op === 'put') {
        node.submit({ client: this.id, seq, op: 'put', key: input.key, value: input.value }, answer);
      } else if (viaLog) {
        node.submit({ client: this.id, seq, op: 'get', key: input.key }, answer);
      } else {
        node.read(input.key, (value) => answer({ op: 'get', value }));
      }
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      // Refused before anything was appended: safe to retry the same operation elsewhere.
      this.stats.refused++;
      this.#target = error.leader !== 0 ? error.leader : undefined;
      this.#later(this.#options.retryMs * (0.5 + this.#prng.float()), () =>
        this.#attempt(current, input, seq, viaLog),
      );
    }
  }

  #chooseNode(): SimNode {
    const nodes = this.#directory.nodes();
    const known = nodes.find((node) => node.id === this.#target);
    if (known !== undefined) return known;
    const chosen = this.#prng.pick(nodes);
    this.#target = chosen.id;
    return chosen;
  }
}
