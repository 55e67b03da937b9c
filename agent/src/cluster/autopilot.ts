/**
 * The autopilot, a leader component: keeps the cluster at its configured voter count without a
 * person (as Consul's and Nomad's autopilot do). Started when this agent leads, aborted when not.
 *
 *   every 500 ms: observe (Raft progress recentActive for Raft members; a status probe for up to
 *   8 workers with a Raft port) -> HealthTracker -> decideAutopilot (pure, autopilot-decision.ts)
 *   -> at most one action, awaited before the next look:
 *      retireDead     registry retireMember(dead), then Raft removeNode
 *      removeRetired  Raft removeNode
 *      designateVoter registry setMemberRole(voter), then Raft addLearner (the worker notices,
 *                     fetches the voter credentials and restarts as a replica: voter-designation.ts)
 *      addLearner     Raft addLearner
 *      promoteLearner Raft addVoter (only once its match index is close to the commit index)
 *
 * The registry step comes first in each pair, so a leader that dies between the two leaves a
 * state the next leader's rule 1 or 5 finishes.
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';
import type { RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { callAgent } from './agent-client.ts';
import { type AutopilotAction, decideAutopilot } from './autopilot-decision.ts';
import { HealthTracker } from './autopilot-health.ts';
import type { MemberRecord } from './cluster-registry.ts';
import type { LeaderComponent } from './leader-components.ts';
import { addressContext, changeConfiguration, proposeRegistryCommand } from './membership-changes.ts';
import { autopilotOf, retiredOf } from './registry-membership.ts';
import type { AppliedResult, ReplicatedState } from './replicated-state.ts';

export interface AutopilotOptions {
  readonly raft: RaftNode<AppliedResult>;
  readonly state: ReplicatedState;
  /** Whether a worker answers now (the agent probes /kedge/v1/node with its certificate). */
  readonly probeWorker: (member: MemberRecord, signal: AbortSignal) => Promise<boolean>;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Silence after which a member counts as unhealthy for the majority guard. Default 2 s. */
  readonly unhealthyAfterMs?: number;
}

const MAX_PROBED_WORKERS = 8;
const ACTIVITY_SAMPLE_MS = 100;

export function autopilotComponent<Context>(options: AutopilotOptions): LeaderComponent<Context> {
  return {
    name: 'autopilot',
    run: (_context, signal) => runAutopilot(options, signal),
  };
}

async function runAutopilot(o: AutopilotOptions, signal: AbortSignal): Promise<void> {
  const { raft, state, logger } = o;
  const interval = o.intervalMs ?? 500;
  const tracker = new HealthTracker(o.unhealthyAfterMs ?? 2000);
  let lastHeld = '';
  let workersProbedAt = 0;
  /** Raft members as of the last look (the founder's peers count from the start). */
  let inRaft = new Set<number>(raft.status().confState.voters);
  // recentActive is cleared at every election timeout and set again by the member's next answer,
  // so one look per round (500 ms plus the worker probes, seconds on a loaded box) can catch a
  // live member between the two several times running, and a live voter was retired as dead
  // (issue #8). Sampled every 100 ms, any answer counts; silence is still judged by time.
  const sampler = setInterval(() => {
    const status = raft.status();
    if (status.role !== 'leader') return;
    const now = Date.now();
    for (const [id, p] of status.progress)
      if (p.recentActive && inRaft.has(id)) tracker.observe(id, true, now);
  }, ACTIVITY_SAMPLE_MS);
  signal.addEventListener('abort', () => clearInterval(sampler), { once: true });
  try {
    await decideLoop();
  } finally {
    clearInterval(sampler);
  }

  async function decideLoop(): Promise<void> {
    while (!signal.aborted) {
      const status = raft.status();
      const now = Date.now();
      if (status.role === 'leader') {
        const registry = state.registry;
        const self = status.id;
        const conf = status.confState;
        const raftMembers = [...conf.voters, ...conf.learners].filter((id) => id !== self);
        // A worker just made a learner was healthy over HTTP; as a replica it starts unheard.
        for (const id of raftMembers) if (!inRaft.has(id)) tracker.forget(id);
        inRaft = new Set(raftMembers);
        for (const id of raftMembers)
          tracker.observe(id, status.progress.get(id)?.recentActive === true, now);
        if (now - workersProbedAt >= 1000) {
          workersProbedAt = now;
          const workers = registry.members
            .filter((m) => m.role === 'worker' && /:[1-9][0-9]*$/.test(m.raftAddress))
            .slice(0, MAX_PROBED_WORKERS);
          const answers = await Promise.all(workers.map((m) => o.probeWorker(m, signal).catch(() => false)));
          const probedAt = Date.now();
          for (const [i, m] of workers.entries()) tracker.observe(m.id, answers[i] === true, probedAt);
        }
        tracker.retain(new Set([...raftMembers, ...registry.members.map((m) => m.id)]));
        const decision = decideAutopilot({
          now: Date.now(),
          self,
          settings: autopilotOf(registry),
          desiredVoters: registry.desiredVoters,
          members: registry.members,
          retired: retiredOf(registry),
          conf,
          commit: status.commit,
          match: new Map([...status.progress].map(([id, p]) => [id, p.match])),
          health: tracker.snapshot(Date.now()),
        });
        const held = decision.held.join('; ');
        if (held !== lastHeld) {
          if (held !== '') logger.info('autopilot waits', { why: held });
          lastHeld = held;
        }
        if (decision.action !== undefined && !signal.aborted) {
          const started = Date.now();
          try {
            await execute(o, decision.action);
            logger.info('autopilot changed the membership', {
              ...decision.action,
              tookMs: Date.now() - started,
            });
          } catch (error) {
            // Leadership ended mid-change: the next leader finishes it (rules 1 and 5); say so, or a
            // half-made change shows up later with no trace of who began it.
            if (signal.aborted) {
              logger.info('autopilot change interrupted: no longer leading', {
                ...decision.action,
                error: (error as Error).message,
              });
              return;
            }
            logger.warn('autopilot change failed; it will look again', {
              ...decision.action,
              error: (error as Error).message,
            });
          }
        }
      }
      await sleep(interval, signal);
    }
  }
}

async function execute(o: AutopilotOptions, action: AutopilotAction): Promise<void> {
  const { raft, state } = o;
  switch (action.kind) {
    case 'retireDead':
      await proposeRegistryCommand(raft, {
        op: 'retireMember',
        id: action.id,
        reason: 'dead',
        now: new Date().toISOString(),
      });
      await changeConfiguration(raft, { type: 'removeNode', nodeId: action.id });
      return;
    case 'removeRetired':
      await changeConfiguration(raft, { type: 'removeNode', nodeId: action.id });
      return;
    case 'promoteLearner':
      await changeConfiguration(raft, { type: 'addVoter', nodeId: action.id });
      return;
    case 'addLearner':
      await changeConfiguration(raft, {
        type: 'addLearner',
        nodeId: action.id,
        context: addressContext(action.raftAddress),
      });
      return;
    case 'designateVoter': {
      const result = await proposeRegistryCommand(raft, {
        op: 'setMemberRole',
        id: action.id,
        role: 'voter',
      });
      const raftAddress =
        result.member?.raftAddress ?? state.registry.members.find((m) => m.id === action.id)?.raftAddress;
      if (raftAddress === undefined) throw new Error(`node ${action.id} vanished from the registry`);
      await changeConfiguration(raft, {
        type: 'addLearner',
        nodeId: action.id,
        context: addressContext(raftAddress),
      });
      return;
    }
  }
}

/** The agent's worker probe: its status endpoint, answered within 800 ms, with our certificate. */
export function workerStatusProbe(credentials: {
  caPem: string;
  nodeCert: { cert: string; key: string };
}): AutopilotOptions['probeWorker'] {
  return async (member) => {
    const reply = await callAgent(member.apiAddress, '/kedge/v1/node', {
      ca: credentials.caPem,
      clientCert: credentials.nodeCert,
      timeoutMs: 800,
    });
    return reply.status === 200 && reply.json?.id === member.id;
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
