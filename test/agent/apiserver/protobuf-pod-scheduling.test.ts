import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from '../../../agent/src/apiserver/protobuf/decode.ts';
import { type MessageSchema, schemasByKind } from '../../../agent/src/apiserver/protobuf/schemas.ts';

// A protobuf writer as Go's generated marshallers write: negative ints as ten-byte two's complement.
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const len = (field: number, bytes: number[]): number[] => [
  ...varint(field * 8 + 2),
  ...varint(bytes.length),
  ...bytes,
];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s)]);
const int = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
const envelope = (apiVersion: string, kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...len(1, [...str(1, apiVersion), ...str(2, kind)]),
    ...len(2, raw),
  ]);

/** Encodes a JSON object by a schema (strings, ints, bools, string maps, messages, lists of them). */
function encode(value: Record<string, unknown>, schema: MessageSchema): number[] {
  const out: number[] = [];
  for (const [num, spec] of Object.entries(schema)) {
    const v = value[spec.name];
    if (v === undefined) continue;
    const field = Number(num);
    const one = (x: unknown): number[] => {
      const t = spec.type;
      if (typeof t === 'object' && 'message' in t)
        return len(field, encode(x as Record<string, unknown>, t.message));
      if (typeof t === 'object' && 'map' in t)
        return Object.entries(x as Record<string, string>).flatMap(([k, s]) =>
          len(field, [...str(1, k), ...str(2, s)]),
        );
      if (t === 'string') return str(field, x as string);
      if (t === 'int') return int(field, x as number);
      if (t === 'bool') return int(field, x ? 1 : 0);
      throw new Error(`the test encoder has no ${String(t)}`);
    };
    out.push(...(spec.repeated ? (v as unknown[]).flatMap(one) : one(v)));
  }
  return out;
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'main', image: 'busybox' }],
        priorityClassName: 'batch',
        priority: -10,
        preemptionPolicy: 'Never',
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: {
              matchLabels: { app: 'web' },
              matchExpressions: [{ key: 'tier', operator: 'In', values: ['be', 'fe'] }],
            },
            minDomains: 2,
            nodeAffinityPolicy: 'Honor',
            nodeTaintsPolicy: 'Ignore',
            matchLabelKeys: ['pod-template-hash'],
          },
          { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
      },
    },
  },
};

describe('PodSpec scheduling fields in protobuf bodies', () => {
  it('reads priority, preemptionPolicy and topologySpreadConstraints at k8s.io/api field numbers', () => {
    // Written by hand from core/v1 generated.proto: PodSpec 25 priority, 31 preemptionPolicy,
    // 33 topologySpreadConstraints; TopologySpreadConstraint 1-8.
    const constraint = [
      ...int(1, 1),
      ...str(2, 'zone'),
      ...str(3, 'DoNotSchedule'),
      ...len(4, len(1, [...str(1, 'app'), ...str(2, 'web')])),
      ...int(5, 2),
      ...str(6, 'Honor'),
      ...str(7, 'Ignore'),
      ...str(8, 'pod-template-hash'),
    ];
    const podSpec = [
      ...len(2, [...str(1, 'main'), ...str(2, 'busybox')]),
      ...int(25, -10),
      ...str(31, 'Never'),
      ...len(33, constraint),
      ...len(33, [...int(1, 0), ...str(2, ''), ...str(3, 'ScheduleAnyway')]),
    ];
    const raw = [...len(1, str(1, 'web')), ...len(2, len(3, len(2, podSpec)))];
    const decoded = decodeProtobufObject(envelope('apps/v1', 'Deployment', raw)) as typeof deployment;
    expect(decoded.spec.template.spec).toEqual({
      containers: [{ name: 'main', image: 'busybox' }],
      priority: -10,
      preemptionPolicy: 'Never',
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          minDomains: 2,
          nodeAffinityPolicy: 'Honor',
          nodeTaintsPolicy: 'Ignore',
          matchLabelKeys: ['pod-template-hash'],
        },
        // Go writes these three without omitempty: a zero stays for validation to report.
        { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
    });
  });

  it('a Deployment with every scheduling field survives JSON -> protobuf -> JSON', () => {
    const schema = schemasByKind['apps/v1/Deployment'];
    if (schema === undefined) throw new Error('no Deployment schema');
    const { apiVersion, kind, ...body } = deployment;
    const decoded = decodeProtobufObject(envelope(apiVersion, kind, encode(body, schema)));
    expect(decoded).toEqual(deployment);
  });
});
