/**
 * Records core/v1 Events the way client-go's recorder does: the same involvedObject, type, reason
 * and message within the cache is one Event whose count grows and lastTimestamp moves; each
 * involved object has a token bucket (burst 25, one more every 5 minutes by default) so that a
 * crash-looping controller cannot flood the store.
 */
import { isStatusError, type StatusError } from '../../api/errors.ts';
import type { Event } from '../../api/types/core.ts';
import type { EventSpec } from './actions.ts';
import { type ClusterClient, EVENTS } from './client.ts';
import { type Clock, timestamp } from './clock.ts';

export interface EventRecorderOptions {
  readonly clock: Clock;
  /** source.component / reportingComponent, e.g. `deployment-controller`. */
  readonly component: string;
  readonly host?: string;
  readonly burst?: number;
  /** Milliseconds per new token (default 300,000: one event per 5 minutes once the burst is spent). */
  readonly refillMs?: number;
  /** Distinct events remembered for de-duplication (default 4096, oldest forgotten first). */
  readonly cacheSize?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EventRecorder {
  private readonly client: ClusterClient;
  private readonly options: EventRecorderOptions;
  private readonly seen = new Map<string, Event>();
  private readonly buckets = new Map<string, Bucket>();
  private seq = 0;
  /** Events dropped by the rate limit (for tests and metrics). */
  dropped = 0;

  constructor(client: ClusterClient, options: EventRecorderOptions) {
    this.client = client;
    this.options = options;
  }

  async record(spec: EventSpec): Promise<StatusError | undefined> {
    const now = this.options.clock.now();
    const o = spec.involvedObject;
    const objectKey = `${o.kind}/${o.namespace ?? ''}/${o.name}/${o.uid ?? ''}`;
    if (!this.take(objectKey, now)) {
      this.dropped++;
      return undefined;
    }
    const key = `${objectKey}|${spec.type}|${spec.reason}|${spec.message}`;
    const previous = this.seen.get(key);
    if (previous !== undefined) {
      const next = structuredClone(previous);
      delete next.metadata.resourceVersion;
      next.count = (previous.count ?? 1) + 1;
      next.lastTimestamp = timestamp(now);
      const updated = await this.client.update(EVENTS, next);
      if (!isStatusError(updated)) {
        this.remember(key, updated as Event);
        return undefined;
      }
      if (updated.status.code !== 404) return updated;
      // The event aged out of the store: start a new one.
    }
    const namespace = o.namespace !== undefined && o.namespace !== '' ? o.namespace : 'default';
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${o.name}.${(now * 1000 + (this.seq++ % 1000)).toString(16)}`, namespace },
      involvedObject: o,
      reason: spec.reason,
      message: spec.message,
      type: spec.type,
      source: {
        component: this.options.component,
        ...(this.options.host ? { host: this.options.host } : {}),
      },
      reportingComponent: this.options.component,
      reportingInstance: this.options.host ?? '',
      firstTimestamp: timestamp(now),
      lastTimestamp: timestamp(now),
      count: 1,
    };
    const created = await this.client.create(EVENTS, ev);
    if (isStatusError(created)) return created;
    this.remember(key, created as Event);
    return undefined;
  }

  private remember(key: string, e: Event): void {
    this.seen.delete(key);
    this.seen.set(key, e);
    const max = this.options.cacheSize ?? 4096;
    while (this.seen.size > max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  private take(objectKey: string, now: number): boolean {
    const burst = this.options.burst ?? 25;
    const refill = this.options.refillMs ?? 300_000;
    const b = this.buckets.get(objectKey) ?? { tokens: burst, at: now };
    const earned = Math.floor((now - b.at) / refill);
    if (earned > 0) {
      b.tokens = Math.min(burst, b.tokens + earned);
      b.at += earned * refill;
    }
    if (b.tokens === burst) b.at = now;
    this.buckets.set(objectKey, b);
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }
}
