import { describe, expect, it } from 'vitest';
import { type Deployment, type Pod, validateCreate } from '../../../agent/src/api/index.ts';

const pod = (spec: object): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec },
  }) as Pod;

const causes = (o: Pod | Deployment, resource = '/pods') =>
  validateCreate(resource, o)?.status.details?.causes?.map((c) => `${c.field}: ${c.message}`);

const zone = 'topology.kubernetes.io/zone';

describe('PodSpec topologySpreadConstraints', () => {
  it('accepts a well-formed constraint of either kind', () => {
    expect(
      causes(
        pod({
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', minDomains: 3 },
            {
              maxSkew: 2,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { app: 'web' } },
              matchLabelKeys: ['pod-template-hash'],
            },
          ],
        }),
      ),
    ).toBeUndefined();
  });

  it('reports every broken field of every constraint at once, with Kubernetes’ messages', () => {
    const got = causes(
      pod({
        preemptionPolicy: 'Sometimes',
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Maybe' },
          {
            maxSkew: 1,
            topologyKey: zone,
            whenUnsatisfiable: 'ScheduleAnyway',
            minDomains: 0,
            labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] },
          },
        ],
      }),
    );
    expect(got).toEqual([
      'spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"',
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
      'spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty',
      'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      'spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: must be greater than zero',
      'spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway',
      "spec.topologySpreadConstraints[1].labelSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  it('refuses two constraints of the same kind and matchLabelKeys without or inside the selector', () => {
    const got = causes(
      pod({
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'] },
          {
            maxSkew: 2,
            topologyKey: zone,
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'web' } },
            matchLabelKeys: ['app'],
          },
        ],
      }),
    );
    expect(got).toEqual([
      `spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{${zone}, DoNotSchedule}"`,
      'spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set',
      'spec.topologySpreadConstraints[1].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and labelSelector',
    ]);
  });

  it('checks a Deployment’s pod template the same way', () => {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'main', image: 'busybox' }],
            preemptionPolicy: 'Never',
            topologySpreadConstraints: [
              { maxSkew: -1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule' },
            ],
          },
        },
      },
    };
    expect(causes(d, 'apps/deployments')).toEqual([
      'spec.template.spec.topologySpreadConstraints[0].maxSkew: Invalid value: -1: must be greater than zero',
    ]);
  });
});
