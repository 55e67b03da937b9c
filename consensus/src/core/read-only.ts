import type { Message, NodeId } from '../types.ts';

/** A read request waiting for a heartbeat quorum to confirm that the leader is still the leader. */
export interface PendingRead {
  /** The commit index when the request arrived: the read index once confirmed. */
  readonly index: number;
  /** The original request (its `from` is who gets the answer). */
  readonly request: Message;
  readonly acks: Set<NodeId>;
}

/**
 * ReadIndex bookkeeping (etcd's read_only.go, safe mode). Requests are queued in arrival order; a
 * quorum of heartbeat acks for one request confirms it and every request queued before it.
 */
export class ReadOnly {
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  addRequest(index: number, request: Message): void {
    const key = contextKey(request.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, request, acks: new Set() });
    this.queue.push(key);
  }

  /** Records `from`'s ack of the heartbeat that carried `context`; returns the acks so far. */
  recvAck(from: NodeId, context: Uint8Array | undefined): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (rs === undefined) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Dequeues the request for `context` and every request before it. */
  advance(context: Uint8Array | undefined): PendingRead[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released: PendingRead[] = [];
    for (let i = 0; i <= at; i++) {
      const k = this.queue[i]!;
      const rs = this.pending.get(k);
      if (rs !== undefined) released.push(rs);
      this.pending.delete(k);
    }
    this.queue = this.queue.slice(at + 1);
    return released;
  }

  /** The context of the newest pending request, carried by the next heartbeat. */
  lastPendingContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)?.request.context;
  }

  get size(): number {
    return this.queue.length;
  }
}

/** A Map key for a context: one char per byte. */
export function contextKey(context: Uint8Array | undefined): string {
  if (context === undefined) return '';
  let s = '';
  for (let i = 0; i < context.byteLength; i++) s += String.fromCharCode(context[i]!);
  return s;
}
