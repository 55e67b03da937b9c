/**
 * The bounded window of 'app' messages sent to one follower and not yet acknowledged, as a ring
 * buffer of the last index each message carried. Replication pauses when it is full, which bounds
 * the memory and bandwidth a slow follower can tie up (etcd's tracker/inflights.go).
 */
export class Inflights {
  readonly capacity: number;
  /** Zero means no byte limit. */
  readonly maxBytes: number;
  private readonly indexes: Float64Array;
  private readonly sizes: Float64Array;
  private start = 0;
  private count = 0;
  private bytes = 0;

  constructor(capacity: number, maxBytes = 0) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.indexes = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Records a message whose last entry is `index`; indexes must be added in increasing order. */
  add(index: number, bytes: number): void {
    if (this.count === this.capacity) {
      throw new Error('Inflights.add on a full window: check full() before sending');
    }
    let slot = this.start + this.count;
    if (slot >= this.capacity) slot -= this.capacity;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to` (the follower acknowledged up to `to`). */
  freeLE(to: number): void {
    let freed = 0;
    let slot = this.start;
    while (freed < this.count && this.indexes[slot]! <= to) {
      this.bytes -= this.sizes[slot]!;
      freed++;
      slot++;
      if (slot === this.capacity) slot = 0;
    }
    this.count -= freed;
    this.start = this.count === 0 ? 0 : slot;
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
