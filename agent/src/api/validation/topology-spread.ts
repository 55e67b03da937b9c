/**
 * PodSpec's topologySpreadConstraints and preemptionPolicy, with Kubernetes' messages
 * (validateTopologySpreadConstraints, ValidatePreemptionPolicy in apis/core/validation). Every
 * cause is collected; the caller reports them together with the rest of the spec's.
 */
import {
  duplicate,
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from '../field-errors.ts';
import type { TopologySpreadConstraint } from '../types/pod.ts';
import { validateEnum, validateLabelSelector } from './meta.ts';
import { qualifiedName } from './names.ts';

export const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'] as const;
const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'] as const;
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'] as const;
const NOT_POSITIVE = 'must be greater than zero';

/** Fields of the v1 type that kedge's scheduler does not use yet but accepts and checks. */
interface LooseConstraint extends TopologySpreadConstraint {
  readonly nodeAffinityPolicy?: unknown;
  readonly nodeTaintsPolicy?: unknown;
}

export function validatePreemptionPolicy(policy: unknown, path: FieldPath): FieldError[] {
  return validateEnum(policy, PREEMPTION_POLICIES, path);
}

export function validateTopologySpreadConstraints(
  constraints: readonly TopologySpreadConstraint[] | undefined,
  path: FieldPath,
): FieldError[] {
  if (constraints === undefined || constraints === null) return [];
  if (!Array.isArray(constraints)) return [invalid(path, constraints, 'must be a list')];
  const errs: FieldError[] = [];
  for (const [i, raw] of constraints.entries()) {
    const p = path.index(i);
    if (typeof raw !== 'object' || raw === null) {
      errs.push(invalid(p, raw, 'must be an object'));
      continue;
    }
    const c = raw as LooseConstraint;
    if (typeof c.maxSkew !== 'number' || !Number.isInteger(c.maxSkew) || c.maxSkew <= 0)
      errs.push(invalid(p.child('maxSkew'), c.maxSkew ?? 0, NOT_POSITIVE));
    if (typeof c.topologyKey !== 'string' || c.topologyKey === '')
      errs.push(required(p.child('topologyKey'), 'can not be empty'));
    if (!(WHEN_UNSATISFIABLE as readonly unknown[]).includes(c.whenUnsatisfiable))
      errs.push(notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable ?? '', WHEN_UNSATISFIABLE));
    // {topologyKey, whenUnsatisfiable} names one kind of constraint: reported on the first of a pair.
    const repeated = constraints
      .slice(i + 1)
      .some((o) => o?.topologyKey === c.topologyKey && o?.whenUnsatisfiable === c.whenUnsatisfiable);
    if (repeated)
      errs.push(
        duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey}, ${c.whenUnsatisfiable}}`),
      );
    errs.push(...validateMinDomains(c, p.child('minDomains')));
    errs.push(...validateEnum(c.nodeAffinityPolicy, NODE_INCLUSION_POLICIES, p.child('nodeAffinityPolicy')));
    errs.push(...validateEnum(c.nodeTaintsPolicy, NODE_INCLUSION_POLICIES, p.child('nodeTaintsPolicy')));
    errs.push(...validateMatchLabelKeys(c, p.child('matchLabelKeys')));
    errs.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  }
  return errs;
}

function validateMinDomains(c: TopologySpreadConstraint, p: FieldPath): FieldError[] {
  const m = c.minDomains;
  if (m === undefined || m === null) return [];
  const errs: FieldError[] = [];
  if (typeof m !== 'number' || !Number.isInteger(m) || m <= 0) errs.push(invalid(p, m, NOT_POSITIVE));
  if (c.whenUnsatisfiable !== 'DoNotSchedule')
    errs.push(
      invalid(
        p,
        m,
        `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${String(c.whenUnsatisfiable ?? '')}`,
      ),
    );
  return errs;
}

/** matchLabelKeys add the pod's own label values to the selector: it must exist and not name them too. */
function validateMatchLabelKeys(c: TopologySpreadConstraint, p: FieldPath): FieldError[] {
  const keys = c.matchLabelKeys;
  if (keys === undefined || keys === null || keys.length === 0) return [];
  const errs: FieldError[] = [];
  const selector = c.labelSelector;
  const inSelector = new Set<string>();
  if (selector === undefined || selector === null)
    errs.push(forbidden(p, 'must not be specified when labelSelector is not set'));
  else {
    for (const k of Object.keys(selector.matchLabels ?? {})) inSelector.add(k);
    for (const e of selector.matchExpressions ?? []) inSelector.add(e.key);
  }
  for (const [i, key] of keys.entries()) {
    for (const m of qualifiedName(String(key))) errs.push(invalid(p.index(i), key, m));
    if (inSelector.has(key))
      errs.push(invalid(p.index(i), key, 'exists in both matchLabelKeys and labelSelector'));
  }
  return errs;
}
