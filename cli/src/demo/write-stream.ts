/**
 * A client that writes through the API without pause: each write creates ConfigMap
 * `failover-<run>-<seq>` (labelled with the run), and a 2xx answer is an acknowledgement the
 * cluster must keep. Refused writes (503 while there is no leader, reset connections to a killed
 * agent) are recorded with their send time, so the demo can tell when writes were accepted again.
 *
 *   writer loop (x2) ─> POST configmaps via targets()[cursor] ─> 2xx: acknowledged {seq, sentAt, ackAt}
 *                                                             └─> else: refused {sentAt}; no answer: next target
 */
import type { AgentHttps } from './agent-https.ts';

export const DEMO_LABEL = 'kedge.io/failover-demo';

export interface Acknowledged {
  readonly seq: number;
  readonly sentAt: number;
  readonly ackAt: number;
}

export interface WriteStreamOptions {
  readonly http: AgentHttps;
  /** Agents to write through, preferred first; read before every write (the demo steers). */
  readonly targets: () => readonly string[];
  readonly runId: string;
  readonly namespace?: string;
  readonly writers?: number;
  /** Least time between one writer's attempts. */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly now: () => number;
}

export interface WriteStream {
  readonly acknowledged: readonly Acknowledged[];
  /** The first write sent at or after `t` that was acknowledged (earliest acknowledgement). */
  firstAcceptedSince(t: number): Acknowledged | undefined;
  /** Writes sent in [from, to) that were not acknowledged. */
  refusedBetween(from: number, to: number): number;
  /** The last refusal's reason, for the live view. */
  lastRefusal(): string | undefined;
  stop(): Promise<void>;
}

export function startWriteStream(o: WriteStreamOptions): WriteStream {
  const namespace = o.namespace ?? 'default';
  const interval = o.intervalMs ?? 20;
  const acknowledged: Acknowledged[] = [];
  const refused: number[] = [];
  let lastReason: string | undefined;
  let nextSeq = 1;
  let cursor = 0;
  let stopped = false;
  const path = `/api/v1/namespaces/${namespace}/configmaps`;

  const writer = async (): Promise<void> => {
    while (!stopped) {
      const seq = nextSeq++;
      const targets = o.targets();
      const address = targets[cursor % Math.max(1, targets.length)];
      const sentAt = o.now();
      let accepted = false;
      if (address !== undefined) {
        try {
          const reply = await o.http.call(address, path, {
            timeoutMs: o.timeoutMs ?? 2000,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: `failover-${o.runId}-${seq}`, labels: { [DEMO_LABEL]: o.runId } },
              data: { seq: String(seq) },
            },
          });
          accepted = reply.status >= 200 && reply.status < 300;
          if (!accepted) lastReason = `${address}: HTTP ${reply.status} ${reply.json?.message ?? ''}`.trim();
        } catch (error) {
          // No answer at all: this agent is gone, write through the next one.
          lastReason = `${address}: ${(error as Error).message}`;
          cursor++;
        }
      }
      const doneAt = o.now();
      if (accepted) acknowledged.push({ seq, sentAt, ackAt: doneAt });
      else refused.push(sentAt);
      const wait = accepted ? interval - (doneAt - sentAt) : 10;
      if (wait > 0) await sleep(wait);
    }
  };
  const loops = Array.from({ length: o.writers ?? 2 }, () => writer());

  return {
    acknowledged,
    firstAcceptedSince(t) {
      let first: Acknowledged | undefined;
      // Acknowledgements are in ack order: walk back only over those after t.
      for (let i = acknowledged.length - 1; i >= 0; i--) {
        const a = acknowledged[i] as Acknowledged;
        if (a.ackAt < t) break;
        if (a.sentAt >= t && (first === undefined || a.ackAt <= first.ackAt)) first = a;
      }
      return first;
    },
    refusedBetween(from, to) {
      // Two writers push out of send order, and refusals are few: count them all.
      return refused.filter((at) => at >= from && at < to).length;
    },
    lastRefusal: () => lastReason,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** The sequence numbers acknowledged but absent from the names listed afterwards. */
export function lostWrites(
  acknowledged: readonly Acknowledged[],
  listedNames: Iterable<string>,
  runId: string,
): number[] {
  const present = new Set<number>();
  const prefix = `failover-${runId}-`;
  for (const name of listedNames) if (name.startsWith(prefix)) present.add(Number(name.slice(prefix.length)));
  return acknowledged
    .map((a) => a.seq)
    .filter((seq) => !present.has(seq))
    .sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
