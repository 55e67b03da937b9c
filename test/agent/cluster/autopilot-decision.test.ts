import { describe, expect, it } from 'vitest';
import {
  type AutopilotView,
  decideAutopilot,
  removalKeepsMajority,
} from '../../../agent/src/cluster/autopilot-decision.ts';
import { HealthTracker } from '../../../agent/src/cluster/autopilot-health.ts';
import type { MemberRecord } from '../../../agent/src/cluster/cluster-registry.ts';
import { DEFAULT_AUTOPILOT } from '../../../agent/src/cluster/registry-membership.ts';

const T0 = 1_000_000;
const GRACE = 10_000;
const settings = { ...DEFAULT_AUTOPILOT, deadVoterGraceMs: GRACE, stabilizationMs: 3000, maxLagEntries: 10 };

const member = (id: number, role: 'voter' | 'worker'): MemberRecord => ({
  id,
  name: `agent-${id}`,
  role,
  apiAddress: `127.0.0.${id}:6443`,
  raftAddress: `127.0.0.${id}:7443`,
  joinedAt: new Date(T0 - 600_000).toISOString(),
});

/** Leader 1; voters 1-3 and worker 4, all observed healthy from T0 on, every 500 ms until `until`. */
function tracked(silentFrom: Record<number, number>, until: number, ids = [2, 3, 4, 5]): HealthTracker {
  const tracker = new HealthTracker(2000);
  for (let t = T0; t <= until; t += 500) {
    for (const id of ids) tracker.observe(id, t < (silentFrom[id] ?? Number.POSITIVE_INFINITY), t);
  }
  return tracker;
}

function view(over: Partial<AutopilotView> & { now: number; tracker: HealthTracker }): AutopilotView {
  const { tracker, ...rest } = over;
  return {
    self: 1,
    settings,
    desiredVoters: 3,
    members: [member(1, 'voter'), member(2, 'voter'), member(3, 'voter'), member(4, 'worker')],
    retired: [],
    conf: { voters: [1, 2, 3], learners: [] },
    commit: 500,
    match: new Map([
      [2, 500],
      [3, 500],
    ]),
    health: tracker.snapshot(rest.now),
    ...rest,
  };
}

describe('autopilot decision', () => {
  it('leaves a healthy cluster alone', () => {
    const now = T0 + 30_000;
    expect(decideAutopilot(view({ now, tracker: tracked({}, now) })).action).toBeUndefined();
  });

  it('does not remove a voter that went quiet within the grace period', () => {
    const now = T0 + 20_000;
    const d = decideAutopilot(view({ now, tracker: tracked({ 3: now - GRACE + 500 }, now) }));
    expect(d.action).toBeUndefined();
  });

  it('never removes a flapping voter that answers at least once per grace period', () => {
    const tracker = new HealthTracker(2000);
    let now = T0;
    for (; now <= T0 + 120_000; now += 500) {
      // Silent for 8 s, heard for 1 s, over and over: unhealthy most of the time, never for a grace.
      const heardVoter3 = (now - T0) % 9000 >= 8000;
      tracker.observe(2, true, now);
      tracker.observe(3, heardVoter3, now);
      tracker.observe(4, true, now);
      const d = decideAutopilot(view({ now, tracker }));
      expect(d.action, `at +${now - T0} ms`).toBeUndefined();
    }
  });

  it('replaces a dead voter: retire it, then designate the healthy worker, then promote it once caught up', () => {
    const deadAt = T0 + 10_000;
    let now = deadAt + GRACE + 600;
    let tracker = tracked({ 3: deadAt }, now);
    // 1. retire the dead voter (majority guard: voters 1 and 2 are a majority of {1, 2}).
    expect(decideAutopilot(view({ now, tracker })).action).toEqual({
      kind: 'retireDead',
      id: 3,
      wasVoter: true,
      unheardMs: expect.any(Number),
    });
    // 2. retired in the registry, still in Raft: finish the removal.
    const retired = [{ id: 3, name: 'agent-3', reason: 'dead' as const, retiredAt: '' }];
    const members = [member(1, 'voter'), member(2, 'voter'), member(4, 'worker')];
    expect(decideAutopilot(view({ now, tracker, retired, members })).action).toEqual({
      kind: 'removeRetired',
      id: 3,
    });
    // 3. two voters of three wanted: the worker, healthy for long enough, is designated.
    const conf = { voters: [1, 2], learners: [] };
    expect(decideAutopilot(view({ now, tracker, retired, members, conf })).action).toEqual({
      kind: 'designateVoter',
      id: 4,
    });
    // 4. designated but not in Raft yet (a leader died in between): add it as a learner.
    const designated = [member(1, 'voter'), member(2, 'voter'), member(4, 'voter')];
    expect(decideAutopilot(view({ now, tracker, retired, members: designated, conf })).action).toEqual({
      kind: 'addLearner',
      id: 4,
      raftAddress: '127.0.0.4:7443',
    });
    // 5. a learner far behind is not promoted; caught up (within maxLag) it is.
    const learning = { voters: [1, 2], learners: [4] };
    const behind = decideAutopilot(
      view({
        now,
        tracker,
        retired,
        members: designated,
        conf: learning,
        match: new Map([
          [2, 500],
          [4, 100],
        ]),
      }),
    );
    expect(behind.action).toBeUndefined();
    expect(behind.held.join()).toMatch(/learner 4 is catching up/);
    now += 1000;
    tracker = tracked({ 3: deadAt }, now);
    expect(
      decideAutopilot(
        view({
          now,
          tracker,
          retired,
          members: designated,
          conf: learning,
          match: new Map([
            [2, 500],
            [4, 495],
          ]),
        }),
      ).action,
    ).toEqual({ kind: 'promoteLearner', id: 4 });
  });

  it('never removes a voter when the healthy rest would not be a majority', () => {
    // Two of three voters dead: removing one would leave {1, 2} with only 1 healthy.
    const now = T0 + 60_000;
    const d = decideAutopilot(view({ now, tracker: tracked({ 2: T0 + 1000, 3: T0 + 1000 }, now) }));
    expect(d.action).toBeUndefined();
    expect(d.held.join()).toMatch(/would leave no healthy majority/);
  });

  it('removes dead voters of five one at a time while a majority stays', () => {
    const now = T0 + 60_000;
    const tracker = tracked({ 4: T0 + 1000, 5: T0 + 2000 }, now, [2, 3, 4, 5]);
    const members = [1, 2, 3, 4, 5].map((id) => member(id, 'voter'));
    const conf = { voters: [1, 2, 3, 4, 5], learners: [] };
    const match = new Map([2, 3, 4, 5].map((id) => [id, 500]));
    const d = decideAutopilot(view({ now, tracker, members, conf, match, desiredVoters: 5 }));
    // The longest unheard first.
    expect(d.action).toMatchObject({ kind: 'retireDead', id: 4 });
  });

  it('does not designate a worker that has not been healthy for the stabilization time', () => {
    const now = T0 + 60_000;
    const tracker = tracked({ 3: T0 }, now, [2, 3]);
    // Worker 4 is first heard 1 s ago.
    tracker.observe(4, true, now - 1000);
    tracker.observe(4, true, now);
    const members = [member(1, 'voter'), member(2, 'voter'), member(4, 'worker')];
    const d = decideAutopilot(view({ now, tracker, members, conf: { voters: [1, 2], learners: [] } }));
    expect(d.action).toBeUndefined();
    expect(d.held.join()).toMatch(/no worker has been healthy/);
  });

  it('does nothing when disabled', () => {
    const now = T0 + 60_000;
    const d = decideAutopilot(
      view({ now, tracker: tracked({ 3: T0 }, now), settings: { ...settings, enabled: false } }),
    );
    expect(d.action).toBeUndefined();
  });
});

describe('majority guard', () => {
  it('counts only the healthy voters left against a majority of the smaller configuration', () => {
    const healthy = (id: number) => id !== 3;
    expect(removalKeepsMajority([1, 2, 3], 3, healthy)).toBe(true);
    expect(removalKeepsMajority([1, 2, 3], 2, healthy)).toBe(false);
    expect(removalKeepsMajority([1, 2, 3, 4, 5], 5, (id) => id <= 3)).toBe(true);
    expect(removalKeepsMajority([1, 2, 3, 4], 4, (id) => id <= 2)).toBe(true);
    expect(removalKeepsMajority([1], 1, () => true)).toBe(false);
  });
});
