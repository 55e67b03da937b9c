/**
 * Pure parts of issue #8's autopilot work: the voter count is a registry setting (`kedge cluster
 * autopilot --voters`), and a learner still starting (never heard since it was added) is not
 * retired as dead by the short grace meant for voters.
 */
import { describe, expect, it } from 'vitest';
import {
  type AutopilotView,
  decideAutopilot,
  NEW_LEARNER_GRACE_MS,
} from '../../../agent/src/cluster/autopilot-decision.ts';
import { HealthTracker } from '../../../agent/src/cluster/autopilot-health.ts';
import {
  applyRegistryCommand,
  EMPTY_REGISTRY,
  type MemberRecord,
  type RegistryState,
} from '../../../agent/src/cluster/cluster-registry.ts';
import { DEFAULT_AUTOPILOT } from '../../../agent/src/cluster/registry-membership.ts';

const T0 = 1_000_000;
const GRACE = 3000;

const member = (id: number, role: 'voter' | 'worker'): MemberRecord => ({
  id,
  name: `agent-${id}`,
  role,
  apiAddress: `127.0.0.${id}:6443`,
  raftAddress: `127.0.0.${id}:7443`,
  joinedAt: new Date(T0 - 600_000).toISOString(),
});

/** Leader 1, voters 1-2, worker 4 designated and added as a learner at T0. */
function designatedLearner(now: number, tracker: HealthTracker): AutopilotView {
  return {
    now,
    self: 1,
    settings: { ...DEFAULT_AUTOPILOT, deadVoterGraceMs: GRACE },
    desiredVoters: 3,
    members: [member(1, 'voter'), member(2, 'voter'), member(4, 'voter')],
    retired: [],
    conf: { voters: [1, 2], learners: [4] },
    commit: 500,
    match: new Map([
      [2, 500],
      [4, 0],
    ]),
    health: tracker.snapshot(now),
  };
}

describe('a designated learner that is still restarting', () => {
  it('is not retired after the dead-voter grace, only after the new-learner grace', () => {
    const tracker = new HealthTracker(2000);
    // The leader looks every 500 ms; voter 2 answers, learner 4 is restarting and silent.
    let now = T0;
    for (; now <= T0 + GRACE * 3; now += 500) {
      tracker.observe(2, true, now);
      tracker.observe(4, false, now);
    }
    const early = decideAutopilot(designatedLearner(now, tracker));
    expect(early.action).toBeUndefined();
    for (; now <= T0 + NEW_LEARNER_GRACE_MS + 1000; now += 500) {
      tracker.observe(2, true, now);
      tracker.observe(4, false, now);
    }
    expect(decideAutopilot(designatedLearner(now, tracker)).action).toMatchObject({
      kind: 'retireDead',
      id: 4,
      wasVoter: false,
    });
  });

  it('is retired after the dead-voter grace once it had answered and then went silent', () => {
    const tracker = new HealthTracker(2000);
    let now = T0;
    for (; now <= T0 + 5000; now += 500) {
      tracker.observe(2, true, now);
      tracker.observe(4, now >= T0 + 2000 && now < T0 + 3000, now);
    }
    for (; now <= T0 + 3000 + GRACE + 1000; now += 500) {
      tracker.observe(2, true, now);
      tracker.observe(4, false, now);
    }
    expect(decideAutopilot(designatedLearner(now, tracker)).action).toMatchObject({
      kind: 'retireDead',
      id: 4,
    });
  });
});

describe('the voter count setting', () => {
  const founded: RegistryState = applyRegistryCommand(EMPTY_REGISTRY, {
    op: 'bootstrap',
    clusterId: 'c1',
    desiredVoters: 3,
    founder: member(1, 'voter'),
    joinTokens: [],
    users: [],
  }).state;

  it('changes the count the autopilot keeps and later joins are judged by', () => {
    const { state, result } = applyRegistryCommand(founded, { op: 'setDesiredVoters', desiredVoters: 5 });
    expect(result.ok).toBe(true);
    expect(state.desiredVoters).toBe(5);
    expect(founded.desiredVoters).toBe(3);
  });

  it('refuses an even or out-of-range count and changes nothing', () => {
    for (const desiredVoters of [0, 2, 4, 9]) {
      const { state, result } = applyRegistryCommand(founded, { op: 'setDesiredVoters', desiredVoters });
      expect(result).toMatchObject({ ok: false, kind: 'Invalid' });
      expect(result.ok === false && result.message).toMatch(/one of 1, 3, 5, 7/);
      expect(state).toBe(founded);
    }
  });
});
