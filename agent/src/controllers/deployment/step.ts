/**
 * One reconcile's working set for a Deployment: copies of its ReplicaSets that rollout logic
 * scales, and the actions that result. Each ReplicaSet is written at most once per step (a second
 * write would fail its own resourceVersion precondition), so changes merge here and are emitted
 * at the end.
 */
import type { Deployment, ReplicaSet } from '../../api/types/apps.ts';
import { type Action, event, mutable } from '../runtime/actions.ts';
import { REPLICASETS } from '../runtime/client.ts';
import { maxSurge, specReplicas } from './fenceposts.ts';
import { DESIRED_REPLICAS, MAX_REPLICAS } from './revisions.ts';

export class DeploymentStep {
  readonly d: Deployment;
  private readonly created = new Set<string>();
  private readonly changed = new Map<string, ReplicaSet>();
  readonly events: Action[] = [];
  scaled = false;

  constructor(d: Deployment) {
    this.d = d;
  }

  /** A new ReplicaSet to create (it may still be scaled in this step). */
  create(rs: ReplicaSet): ReplicaSet {
    this.created.add(rs.metadata.name ?? '');
    this.changed.set(rs.metadata.name ?? '', rs);
    return rs;
  }

  /** The working copy of a ReplicaSet, to change in place. */
  edit(rs: ReplicaSet): ReplicaSet {
    const name = rs.metadata.name ?? '';
    const cur = this.changed.get(name);
    if (cur !== undefined) return cur;
    const copy = mutable(rs);
    this.changed.set(name, copy);
    return copy;
  }

  /** The latest state of a ReplicaSet in this step. */
  current(rs: ReplicaSet): ReplicaSet {
    return this.changed.get(rs.metadata.name ?? '') ?? rs;
  }

  /** Sets replicas and the desired/max annotations; records the ScalingReplicaSet event. */
  scale(rs: ReplicaSet, replicas: number): ReplicaSet {
    const before = specReplicas(this.current(rs));
    const desired = String(this.d.spec.replicas ?? 1);
    const max = String((this.d.spec.replicas ?? 1) + maxSurge(this.d));
    const a = this.current(rs).metadata.annotations ?? {};
    if (before === replicas && a[DESIRED_REPLICAS] === desired && a[MAX_REPLICAS] === max)
      return this.current(rs);
    const w = this.edit(rs);
    w.spec.replicas = replicas;
    w.metadata.annotations = { ...w.metadata.annotations, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
    if (before !== replicas) {
      this.scaled = true;
      const dir = replicas > before ? 'up' : 'down';
      this.events.push(
        event(
          this.d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled ${dir} replica set ${rs.metadata.name} from ${before} to ${replicas}`,
        ),
      );
    }
    return w;
  }

  /** Creates first (so a scale of the new set lands on it), then updates. */
  actions(): Action[] {
    const out: Action[] = [];
    for (const [name, rs] of this.changed)
      if (this.created.has(name)) out.push({ kind: 'create', ref: REPLICASETS, object: stripStatus(rs) });
    for (const [name, rs] of this.changed)
      if (!this.created.has(name)) out.push({ kind: 'update', ref: REPLICASETS, object: rs });
    return out;
  }
}

function stripStatus(rs: ReplicaSet): ReplicaSet {
  const copy = structuredClone(rs);
  delete copy.status;
  return copy;
}
