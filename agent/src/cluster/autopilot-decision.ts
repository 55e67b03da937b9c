/**
 * The autopilot's decision, pure: from the registry, the Raft membership, the leader's progress
 * and the members' health to at most ONE membership action (Raft changes one member at a time).
 *
 *   1. finish a retirement   a retired id still in the Raft configuration -> removeNode
 *   2. dead voter            unheard > grace, and the voters left healthy still form a majority of
 *                            the smaller configuration -> retire it (its id is burnt for good)
 *   3. dead learner          unheard > grace (a designated worker that never came up) -> retire;
 *                            never heard since it was added: NEW_LEARNER_GRACE_MS at least
 *   4. caught-up learner     registry voter, healthy, match >= commit - maxLag -> addVoter (a
 *                            voter that joined < 10 s ago asks for this itself: left to it)
 *   5. voter not in Raft     registry voter missing from the configuration (a leader failed
 *                            between designating it and adding it) -> addLearner
 *   6. voter gap             fewer registry voters than desired, a worker healthy for the
 *                            stabilization time -> designate it a voter (it restarts as a replica)
 *
 * Every rule that removes a voter passes the majority guard; nothing here ever removes the
 * leader itself (a leaving leader hands over first: leave.ts).
 */
import type { ConfState } from '../../../consensus/src/types.ts';
import type { MemberHealth } from './autopilot-health.ts';
import type { MemberRecord } from './cluster-registry.ts';
import type { AutopilotSettings, RetiredMember } from './registry-membership.ts';

export interface AutopilotView {
  readonly now: number;
  /** The leader (this agent). */
  readonly self: number;
  readonly settings: AutopilotSettings;
  readonly desiredVoters: number;
  readonly members: readonly MemberRecord[];
  readonly retired: readonly RetiredMember[];
  readonly conf: ConfState;
  readonly commit: number;
  /** The leader's match index per Raft member. */
  readonly match: ReadonlyMap<number, number>;
  readonly health: ReadonlyMap<number, MemberHealth>;
}

export type AutopilotAction =
  | { readonly kind: 'removeRetired'; readonly id: number }
  | {
      readonly kind: 'retireDead';
      readonly id: number;
      readonly wasVoter: boolean;
      readonly unheardMs: number;
    }
  | { readonly kind: 'promoteLearner'; readonly id: number }
  | { readonly kind: 'addLearner'; readonly id: number; readonly raftAddress: string }
  | { readonly kind: 'designateVoter'; readonly id: number };

export interface AutopilotDecision {
  readonly action: AutopilotAction | undefined;
  /** Why something that looks due was held back (for logs and `kedge cluster status`). */
  readonly held: readonly string[];
}

/** A join registers the member before adding its learner: give that this long before repairing it. */
export const JOIN_SETTLE_MS = 10_000;

/** Whether the voters left after removing `id` that are healthy still form a majority of them. */
export function removalKeepsMajority(
  voters: readonly number[],
  id: number,
  healthy: (id: number) => boolean,
): boolean {
  const remaining = voters.filter((v) => v !== id);
  if (remaining.length === 0) return false;
  const healthyRemaining = remaining.filter(healthy).length;
  return healthyRemaining >= Math.floor(remaining.length / 2) + 1;
}

/**
 * A learner not heard from even once since it was added is still starting: a designated worker
 * stops its node components and starts again as a Raft replica, which takes seconds on a loaded
 * box. Judged by the dead-voter grace alone (3 s in tests), such a learner was retired as dead
 * before it came up; its data directory may rejoin only once, so that could cost the seat.
 */
export const NEW_LEARNER_GRACE_MS = 30_000;

/** At most one action for the cluster as `view` describes it. */
export function decideAutopilot(view: AutopilotView): AutopilotDecision {
  const held: string[] = [];
  if (!view.settings.enabled) return { action: undefined, held: ['autopilot is disabled'] };
  const { conf, self, now } = view;
  const healthy = (id: number) => id === self || view.health.get(id)?.healthy === true;
  const unheardMs = (id: number) => now - (view.health.get(id)?.lastHeard ?? now);
  const inConf = new Set([...conf.voters, ...conf.learners]);
  const retiredIds = new Set(view.retired.map((r) => r.id));
  const member = (id: number) => view.members.find((m) => m.id === id);

  // 1. A retirement half done (the registry says gone, Raft still counts it).
  for (const id of [...conf.learners, ...conf.voters]) {
    if (id === self || !retiredIds.has(id)) continue;
    if (conf.voters.includes(id) && !removalKeepsMajority(conf.voters, id, healthy)) {
      held.push(`removing retired node ${id} would leave no healthy majority`);
      continue;
    }
    return { action: { kind: 'removeRetired', id }, held };
  }

  // 2. Dead voters, the longest unheard first.
  const deadVoters = conf.voters
    .filter((id) => id !== self && !healthy(id) && unheardMs(id) > view.settings.deadVoterGraceMs)
    .sort((a, b) => unheardMs(b) - unheardMs(a) || a - b);
  for (const id of deadVoters) {
    if (!removalKeepsMajority(conf.voters, id, healthy)) {
      held.push(`voter ${id} is dead but removing it would leave no healthy majority`);
      continue;
    }
    return { action: { kind: 'retireDead', id, wasVoter: true, unheardMs: unheardMs(id) }, held };
  }

  // 3. Dead learners: they do not vote, so no guard.
  for (const id of conf.learners) {
    const grace =
      view.health.get(id)?.everHeard === true
        ? view.settings.deadVoterGraceMs
        : Math.max(view.settings.deadVoterGraceMs, NEW_LEARNER_GRACE_MS);
    if (id !== self && !healthy(id) && unheardMs(id) > grace && !retiredIds.has(id)) {
      return { action: { kind: 'retireDead', id, wasVoter: false, unheardMs: unheardMs(id) }, held };
    }
  }

  // 4. Learners meant to vote that have caught up.
  for (const id of conf.learners) {
    const record = member(id);
    if (record?.role !== 'voter') continue;
    // A voter that joined just now asks for its own promotion once caught up; two paths
    // proposing the same change at once only make Raft wait.
    if (now - Date.parse(record.joinedAt) < JOIN_SETTLE_MS) continue;
    const match = view.match.get(id) ?? 0;
    if (!healthy(id)) continue;
    // match 0: it has not answered a single append yet (a designated worker still restarting).
    if (match === 0 || match + view.settings.maxLagEntries < view.commit) {
      held.push(`learner ${id} is catching up (match ${match}, commit ${view.commit})`);
      continue;
    }
    return { action: { kind: 'promoteLearner', id }, held };
  }

  // 5. Registry voters that Raft does not know yet (a leader failed between two steps).
  const registryVoters = view.members.filter((m) => m.role === 'voter');
  for (const m of registryVoters) {
    if (inConf.has(m.id) || retiredIds.has(m.id)) continue;
    if (now - Date.parse(m.joinedAt) < JOIN_SETTLE_MS) {
      held.push(`node ${m.id} joined just now; its join adds it to Raft`);
      continue;
    }
    return { action: { kind: 'addLearner', id: m.id, raftAddress: m.raftAddress }, held };
  }

  // 6. A gap in the voter count: the longest-healthy eligible worker, lowest id on a tie.
  if (registryVoters.length < view.desiredVoters) {
    const eligible = view.members
      .filter((m) => m.role === 'worker' && /:[1-9][0-9]*$/.test(m.raftAddress))
      .filter((m) => {
        const since = view.health.get(m.id)?.healthySince;
        return healthy(m.id) && since !== undefined && now - since >= view.settings.stabilizationMs;
      })
      .sort(
        (a, b) =>
          (view.health.get(a.id)?.healthySince ?? now) - (view.health.get(b.id)?.healthySince ?? now) ||
          a.id - b.id,
      );
    const chosen = eligible[0];
    if (chosen !== undefined) return { action: { kind: 'designateVoter', id: chosen.id }, held };
    held.push(
      `${registryVoters.length} of ${view.desiredVoters} voters and no worker has been healthy for ${view.settings.stabilizationMs} ms with a Raft port`,
    );
  }
  return { action: undefined, held };
}
