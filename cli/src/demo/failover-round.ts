/**
 * One leader kill, measured:
 *
 *   settled cluster (one leader, voters following, caught up)
 *   -> steer the writers and the service client to a follower -> one write accepted there
 *   -> kill -9 the leader (t0) ─┬─> a survivor says "leader" in a later term      = election
 *                               └─> the first write sent after t0 acknowledged    = first accepted write
 *   -> restart the old leader -> it follows the new leader in its term, caught up = rejoin
 */
import { type AgentState, type AgentWatch, type DemoAgent, leaderOf, settledLeader } from './agent-watch.ts';
import type { RoundResult } from './failover-summary.ts';
import type { DemoEvent } from './live-view.ts';
import type { ServiceTraffic } from './service-traffic.ts';
import type { WriteStream } from './write-stream.ts';

export interface RoundContext {
  readonly watch: AgentWatch;
  readonly writes: WriteStream;
  readonly service?: ServiceTraffic;
  readonly agents: readonly DemoAgent[];
  /** Send writes and service traffic through this agent (and the other survivors after it). */
  steer(via: DemoAgent, avoid: DemoAgent): void;
  kill(agent: DemoAgent): void;
  restart(agent: DemoAgent): Promise<void>;
  readonly now: () => number;
  emit(event: DemoEvent): void;
  readonly signal: AbortSignal;
}

export class RoundError extends Error {
  readonly kind = 'RoundFailed';
}

const TIMEOUTS = {
  settle: 60_000,
  steer: 15_000,
  election: 20_000,
  firstWrite: 20_000,
  rejoin: 60_000,
  serviceReady: 30_000,
};

export async function runRound(ctx: RoundContext, round: number): Promise<RoundResult> {
  ctx.watch.fast(false);
  const leader = await ctx.watch.waitFor(
    'a settled cluster (one leader, every voter following)',
    settledLeader,
    TIMEOUTS.settle,
    ctx.signal,
  );
  const victim = leader.agent;
  const oldTerm = leader.status?.term ?? 0;
  const via = ctx.agents.find((a) => a !== victim && stateOf(ctx.watch.states(), a)?.status !== undefined);
  if (via === undefined)
    throw new RoundError('no agent besides the leader answers; a failover needs at least 3 voters');
  ctx.steer(via, victim);
  const steeredAt = ctx.now();
  await until(
    ctx,
    'a write accepted through the follower',
    () => ctx.writes.firstAcceptedSince(steeredAt),
    TIMEOUTS.steer,
  );
  // A restarted agent follows before its proxy serves again: measure from a serving proxy on.
  const service = ctx.service;
  if (service !== undefined)
    await until(
      ctx,
      `the service answering through ${via.name}`,
      () => service.okSince(steeredAt) || undefined,
      TIMEOUTS.serviceReady,
      () => `service failures: ${service.failureReasons(2).join('; ') || 'none'}`,
    );
  ctx.signal.throwIfAborted();

  ctx.watch.fast(true);
  const killedAt = ctx.now();
  ctx.kill(victim);
  ctx.emit({ type: 'killed', round, name: victim.name, pid: victim.pid, term: oldTerm, via: via.name });

  const elected = await ctx.watch.waitFor(
    'a new leader',
    (states) => {
      const next = leaderOf(states.filter((s) => s.agent !== victim));
      return next?.status && next.status.term > oldTerm ? next : undefined;
    },
    TIMEOUTS.election,
    ctx.signal,
  );
  const electionMs = elected.at - killedAt;
  const newLeader = { name: elected.agent.name, term: elected.status?.term ?? 0 };
  ctx.emit({ type: 'elected', round, name: newLeader.name, term: newLeader.term, ms: electionMs });

  const first = await until(
    ctx,
    'a write accepted after the kill',
    () => ctx.writes.firstAcceptedSince(killedAt),
    TIMEOUTS.firstWrite,
  );
  const firstWriteMs = first.ackAt - killedAt;
  const refusedWrites = ctx.writes.refusedBetween(killedAt, first.ackAt);
  ctx.emit({ type: 'writes-accepted', round, ms: firstWriteMs, refused: refusedWrites });

  ctx.watch.fast(false);
  const restartedAt = ctx.now();
  await ctx.restart(victim);
  ctx.emit({ type: 'restarted', round, name: victim.name, pid: victim.pid });
  const commitAtRestart = elected.status?.commit ?? 0;
  const rejoined = await ctx.watch.waitFor(
    `${victim.name} rejoining as a follower`,
    (states) => {
      const current = leaderOf(states.filter((s) => s.agent !== victim));
      const own = stateOf(states, victim)?.status;
      if (current?.status === undefined || own === undefined) return undefined;
      const follows =
        own.raftState === 'follower' &&
        own.term === current.status.term &&
        own.leader === current.status.id &&
        own.applied >= commitAtRestart;
      return follows
        ? { at: stateOf(states, victim)?.at ?? ctx.now(), term: own.term, leader: current.agent.name }
        : undefined;
    },
    TIMEOUTS.rejoin,
    ctx.signal,
  );
  const rejoinMs = rejoined.at - restartedAt;
  ctx.emit({
    type: 'rejoined',
    round,
    name: victim.name,
    leader: rejoined.leader,
    term: rejoined.term,
    ms: rejoinMs,
  });

  const endedAt = ctx.now();
  const counts = service?.countBetween(killedAt, endedAt);
  const reasons = counts && counts.failed > 0 ? service?.failureReasons(3, killedAt, endedAt) : undefined;
  return {
    round,
    killed: { name: victim.name, term: oldTerm },
    newLeader,
    electionMs,
    firstWriteMs,
    rejoinMs,
    refusedWrites,
    ...(counts !== undefined ? { service: { ...counts, ...(reasons ? { reasons } : {}) } } : {}),
  };
}

const stateOf = (states: readonly AgentState[], agent: DemoAgent) => states.find((s) => s.agent === agent);

/** Polls a condition every 10 ms until it yields a value, the deadline, or Ctrl-C. */
async function until<T>(
  ctx: RoundContext,
  what: string,
  pick: () => T | undefined,
  timeoutMs: number,
  detail = () => `last refused write: ${ctx.writes.lastRefusal() ?? 'none'}`,
): Promise<T> {
  const deadline = ctx.now() + timeoutMs;
  for (;;) {
    const value = pick();
    if (value !== undefined) return value;
    ctx.signal.throwIfAborted();
    if (ctx.now() > deadline)
      throw new RoundError(`${what} did not happen within ${timeoutMs} ms (${detail()})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
