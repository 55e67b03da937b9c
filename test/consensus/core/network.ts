// A tiny synchronous network for core tests: every node persists its Ready to a MemoryStorage,
// applies committed entries to a list, and messages move between RawNodes in FIFO order.
import {
  createRawNode,
  decodeConfChange,
  MemoryStorage,
  type RaftConfig,
  type RawNode,
  seededRandom,
} from '../../../consensus/src/core/index.ts';
import type {
  ConfState,
  Entry,
  Message,
  MessageType,
  NodeId,
  ReadState,
} from '../../../consensus/src/types.ts';

export interface TestNode {
  readonly id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  /** Data of applied normal entries (non-empty ones), in order, as strings. */
  applied: string[];
  appliedEntries: Entry[];
  readStates: ReadState[];
  confState: ConfState;
  snapshotsRestored: number;
}

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  private queue: Message[] = [];
  /** Links that drop messages, as "from->to". */
  private readonly cut = new Set<string>();
  private readonly down = new Set<NodeId>();
  /** Every message handed to the network (delivered or not), for counting. */
  readonly sent: Message[] = [];
  /** Optional filter: return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined;
  /** Optional rewrite of messages in flight (e.g. to send fewer entries than the leader offered). */
  transform: ((m: Message) => Message) | undefined;
  private readonly options: NodeOptions;

  /**
   * A cluster of `voters` (+ `learners`) with seeded timeouts. `seed` may fill a member's storage
   * (log and hardState) before its RawNode starts.
   */
  constructor(
    voters: readonly NodeId[],
    learners: readonly NodeId[] = [],
    options: NodeOptions = {},
    seed?: (id: NodeId, storage: MemoryStorage) => void,
  ) {
    this.options = options;
    const conf: ConfState = { voters: [...voters], learners: [...learners] };
    for (const id of [...voters, ...learners]) this.addNode(id, conf, {}, seed);
  }

  /** Starts a member with an empty log and `conf` as its initial membership. */
  addNode(
    id: NodeId,
    conf: ConfState = { voters: [], learners: [] },
    options: NodeOptions = {},
    seed?: (id: NodeId, storage: MemoryStorage) => void,
  ): TestNode {
    const storage = new MemoryStorage(conf);
    seed?.(id, storage);
    const node = createRawNode({
      id,
      storage,
      random: seededRandom(id * 7919),
      ...this.options,
      ...options,
    });
    const t: TestNode = {
      id,
      node,
      storage,
      applied: [],
      appliedEntries: [],
      readStates: [],
      confState: conf,
      snapshotsRestored: 0,
    };
    this.nodes.set(id, t);
    return t;
  }

  /** Restarts a member from its storage (volatile state lost, durable state kept). */
  restart(id: NodeId, options: NodeOptions = {}): void {
    const t = this.get(id);
    const last = t.appliedEntries[t.appliedEntries.length - 1];
    t.node = createRawNode({
      id,
      storage: t.storage,
      random: seededRandom(id * 104729),
      applied: last?.index ?? t.storage.snapshot().metadata.index,
      ...this.options,
      ...options,
    });
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  get(id: NodeId): TestNode {
    const t = this.nodes.get(id);
    if (t === undefined) throw new Error(`no node ${id}`);
    return t;
  }

  node(id: NodeId): RawNode {
    return this.get(id).node;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}->${b}`);
    this.cut.add(`${b}->${a}`);
  }

  heal(): void {
    this.cut.clear();
    this.down.clear();
  }

  /** A crashed node: it neither receives nor processes anything until heal(). */
  crash(id: NodeId): void {
    this.down.add(id);
  }

  private deliverable(m: Message): boolean {
    if (this.down.has(m.to) || this.down.has(m.from)) return false;
    if (this.cut.has(`${m.from}->${m.to}`)) return false;
    if (!this.nodes.has(m.to)) return false;
    return this.filter === undefined || this.filter(m);
  }

  /** Persists, sends, applies and advances one Ready of `id`. */
  handleReady(id: NodeId): void {
    const t = this.get(id);
    const rd = t.node.ready();
    if (rd.snapshot !== undefined) t.storage.applySnapshot(rd.snapshot);
    t.storage.append(rd.entries);
    if (rd.hardState !== undefined) t.storage.setHardState(rd.hardState);
    for (const m of rd.messages) {
      this.sent.push(m);
      if (this.deliverable(m)) this.queue.push(this.transform === undefined ? m : this.transform(m));
    }
    if (rd.snapshot !== undefined) {
      t.snapshotsRestored++;
      t.applied = dec(rd.snapshot.data) === '' ? [] : dec(rd.snapshot.data).split(',');
      t.confState = rd.snapshot.metadata.confState;
    }
    for (const e of rd.committedEntries) {
      t.appliedEntries.push(e);
      if (e.type === 'confChange') {
        t.confState = t.node.applyConfChange(decodeConfChange(e.data));
        t.storage.setConfState(t.confState);
      } else if (e.data.byteLength > 0) {
        t.applied.push(dec(e.data));
      }
    }
    for (const rs of rd.readStates) t.readStates.push(rs);
    t.node.advance(rd);
  }

  /** Runs until no node has a Ready and no message is in flight. */
  settle(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const t of this.nodes.values()) {
        if (this.down.has(t.id)) continue;
        while (t.node.hasReady()) {
          busy = true;
          this.handleReady(t.id);
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        if (!this.deliverable(m)) continue;
        busy = true;
        this.get(m.to).node.step(m);
      }
      if (!busy) return;
    }
    throw new Error('network did not settle');
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.get(id).node.tick();
  }

  /** Ticks every live node once and settles, `times` times. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const t of this.nodes.values()) if (!this.down.has(t.id)) t.node.tick();
      this.settle();
    }
  }

  /** Campaigns on `id` and settles; returns the leader afterwards. */
  elect(id: NodeId): NodeId {
    this.node(id).campaign();
    this.settle();
    return this.node(id).status().lead;
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((t) => !this.down.has(t.id) && t.node.status().role === 'leader')
      .map((t) => t.id);
  }

  propose(id: NodeId, data: string): void {
    this.node(id).propose(enc(data));
    this.settle();
  }

  count(type: MessageType, since = 0): number {
    let n = 0;
    for (let i = since; i < this.sent.length; i++) if (this.sent[i]!.type === type) n++;
    return n;
  }

  /** Terms of the stored log of `id`, by index from its first index. */
  logOf(id: NodeId): Entry[] {
    const s = this.get(id).storage;
    return s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), s.lastIndex() + 1) : [];
  }
}

/** Fills `storage` with entries of the given terms at indexes 1.. and a hardState at `term`. */
export function seedLog(storage: MemoryStorage, terms: readonly number[], term: number, commit = 0): void {
  storage.append(
    terms.map((t, i) => ({ term: t, index: i + 1, type: 'normal' as const, data: new Uint8Array(0) })),
  );
  storage.setHardState({ term, vote: 0, commit });
}
