/**
 * What every agent of the local cluster says about itself, kept fresh: one loop per agent polls
 * its /kedge/v1/node (every 200 ms at rest, every 20 ms while the demo measures a failover), and
 * waiters are told on every answer. The leader is whoever says so in the highest term.
 *
 *   agent i ──GET /kedge/v1/node──> AgentState {role, term, leader, applied, at} ──> waiters, live view
 */
import type { AgentHttps } from './agent-https.ts';

export interface DemoAgent {
  readonly index: number;
  readonly name: string;
  readonly apiAddress: string;
  readonly dataDir: string;
  pid: number;
}

export interface AgentState {
  readonly agent: DemoAgent;
  /** When the answer (or the failure) came. */
  readonly at: number;
  readonly status?: {
    readonly id: number;
    readonly role: string;
    readonly raftState: string;
    readonly term: number;
    readonly leader: number;
    readonly commit: number;
    readonly applied: number;
  };
  readonly error?: string;
}

export interface AgentWatch {
  states(): readonly AgentState[];
  /** Poll every 20 ms (true) or 200 ms (false). */
  fast(on: boolean): void;
  /** Resolves with the first non-undefined pick over the states after an answer; rejects on timeout. */
  waitFor<T>(
    what: string,
    pick: (states: readonly AgentState[]) => T | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T>;
  stop(): void;
}

export class DemoTimeout extends Error {
  readonly kind = 'Timeout';
}

export function watchAgents(o: {
  http: AgentHttps;
  agents: readonly DemoAgent[];
  now: () => number;
}): AgentWatch {
  const latest = new Map<number, AgentState>(
    o.agents.map((a) => [a.index, { agent: a, at: o.now(), error: 'not polled yet' }]),
  );
  let interval = 200;
  let stopped = false;
  const waiters = new Set<() => void>();
  const sleeps = new Set<() => void>();

  const poll = async (agent: DemoAgent): Promise<void> => {
    while (!stopped) {
      const started = o.now();
      let state: AgentState;
      try {
        const reply = await o.http.call(agent.apiAddress, '/kedge/v1/node', { timeoutMs: 300 });
        state =
          reply.status === 200
            ? { agent, at: o.now(), status: reply.json }
            : { agent, at: o.now(), error: `HTTP ${reply.status}` };
      } catch (error) {
        state = { agent, at: o.now(), error: (error as Error).message };
      }
      latest.set(agent.index, state);
      for (const waiter of [...waiters]) waiter();
      const wait = interval - (o.now() - started);
      if (wait > 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            sleeps.delete(done);
            resolve();
          };
          const timer = setTimeout(done, wait);
          sleeps.add(done);
        });
      }
    }
  };
  for (const agent of o.agents) void poll(agent);
  const states = () => o.agents.map((a) => latest.get(a.index) as AgentState);

  return {
    states,
    fast(on) {
      interval = on ? 20 : 200;
      // Cut the current sleeps short so the faster pace starts at once.
      if (on) for (const wake of [...sleeps]) wake();
    },
    waitFor(what, pick, timeoutMs, signal) {
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          cleanup();
          reject(new DemoTimeout(`stopped while waiting for ${what}`));
        };
        const check = () => {
          const value = pick(states());
          if (value === undefined) return;
          cleanup();
          resolve(value);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new DemoTimeout(`${what} did not happen within ${timeoutMs} ms; see the agents' agent.log`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          signal?.removeEventListener('abort', onAbort);
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort);
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopped = true;
      for (const wake of [...sleeps]) wake();
    },
  };
}

/** The agent that says it leads, in the highest term any agent reports. */
export function leaderOf(states: readonly AgentState[]): AgentState | undefined {
  let best: AgentState | undefined;
  for (const s of states) {
    if (s.status?.role !== 'leader') continue;
    if (best === undefined || s.status.term > (best.status?.term ?? 0)) best = s;
  }
  return best;
}

/**
 * A settled cluster: one leader, and every voter that answers follows it in its term with at most
 * `maxLag` entries left to apply. Workers (no replica) only need to answer.
 */
export function settledLeader(states: readonly AgentState[], maxLag = 500): AgentState | undefined {
  const leader = leaderOf(states);
  const ls = leader?.status;
  if (leader === undefined || ls === undefined) return undefined;
  for (const s of states) {
    const st = s.status;
    if (st === undefined) return undefined;
    if (st.role === 'worker' || s === leader) continue;
    if (st.role === 'learner' || st.term !== ls.term || st.leader !== ls.id) return undefined;
    if (ls.commit - st.applied > maxLag) return undefined;
  }
  return leader;
}
