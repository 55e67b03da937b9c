import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../agent/src/api/defaults.ts';
import {
  findResource,
  isStatusError,
  type PriorityClass,
  validateCreate,
  validateUpdate,
} from '../../../agent/src/api/index.ts';
import { checkGlobalDefault, resolvePodPriority } from '../../../agent/src/api/priority.ts';
import { pod } from './fixtures.ts';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => {
  const o = {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    ...extra,
  } as PriorityClass;
  applyDefaults('scheduling.k8s.io/priorityclasses', o);
  return o;
};
const R = 'scheduling.k8s.io/priorityclasses';

describe('PriorityClass resource', () => {
  it('is served cluster-scoped in scheduling.k8s.io/v1 and defaults preemptionPolicy', () => {
    const info = findResource('scheduling.k8s.io', 'priorityclasses');
    expect(info).toMatchObject({
      kind: 'PriorityClass',
      version: 'v1',
      namespaced: false,
      shortNames: ['pc'],
    });
    expect(pc('x', 1).preemptionPolicy).toBe('PreemptLowerPriority');
    expect(validateCreate(R, pc('x', 1000))).toBeUndefined();
  });

  it('rejects values above 1e9, system- names, and unknown policies, all at once', () => {
    const bad = pc('system-mine', 1_000_000_001, { preemptionPolicy: 'Sometimes' as 'Never' });
    const err = validateCreate(R, bad);
    const causes = err?.status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual([
      'value: Invalid value: 1000000001: maximum allowed value of a user defined priority is 1000000000',
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only",
      'preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"',
    ]);
  });

  it('value and preemptionPolicy are immutable', () => {
    const err = validateUpdate(R, pc('x', 2, { preemptionPolicy: 'Never' }), pc('x', 1));
    expect(err?.status.details?.causes?.map((c) => c.field)).toEqual(['value', 'preemptionPolicy']);
    expect(validateUpdate(R, pc('x', 1, { description: 'now documented' }), pc('x', 1))).toBeUndefined();
  });

  it('allows one globalDefault class only', () => {
    const existing = [pc('low', 1, { globalDefault: true })];
    expect(checkGlobalDefault(pc('other', 5, { globalDefault: true }), existing)?.message).toBe(
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is already marked as default. Only one default can exist',
    );
    expect(checkGlobalDefault(pc('low', 2, { globalDefault: true }), existing)).toBeUndefined();
  });
});

describe('Priority admission', () => {
  const classes = [pc('high', 1000), pc('batch', -10, { preemptionPolicy: 'Never' })];
  const cases: { name: string; spec: object; classes?: PriorityClass[]; want: unknown }[] = [
    { name: 'no class and no default: 0', spec: {}, want: [undefined, 0, 'PreemptLowerPriority'] },
    {
      name: 'the globalDefault class when none is named',
      spec: {},
      classes: [...classes, pc('normal', 7, { globalDefault: true })],
      want: ['normal', 7, 'PreemptLowerPriority'],
    },
    {
      name: 'a named class',
      spec: { priorityClassName: 'high' },
      want: ['high', 1000, 'PreemptLowerPriority'],
    },
    { name: 'the class policy', spec: { priorityClassName: 'batch' }, want: ['batch', -10, 'Never'] },
    {
      name: 'built-in system-node-critical',
      spec: { priorityClassName: 'system-node-critical' },
      want: ['system-node-critical', 2_000_001_000, 'PreemptLowerPriority'],
    },
    {
      name: 'built-in system-cluster-critical',
      spec: { priorityClassName: 'system-cluster-critical' },
      want: ['system-cluster-critical', 2_000_000_000, 'PreemptLowerPriority'],
    },
    {
      name: 'an unknown class',
      spec: { priorityClassName: 'nope' },
      want: 'pods "p" is forbidden: no PriorityClass with name nope was found',
    },
    {
      name: 'a priority that disagrees with the class',
      spec: { priorityClassName: 'high', priority: 5 },
      want: 'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    },
    {
      name: 'a priority that agrees',
      spec: { priorityClassName: 'high', priority: 1000 },
      want: ['high', 1000, 'PreemptLowerPriority'],
    },
    {
      name: 'a preemptionPolicy that disagrees',
      spec: { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' },
      want: 'pods "p" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = resolvePodPriority(pod('p', { spec: c.spec }), c.classes ?? classes);
      expect(isStatusError(r) ? r.message : [r.priorityClassName, r.priority, r.preemptionPolicy]).toEqual(
        c.want,
      );
      if (isStatusError(r)) expect(r.status.code).toBe(403);
    });
});
