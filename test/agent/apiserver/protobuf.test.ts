import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from '../../../agent/src/apiserver/protobuf/decode.ts';

// A tiny protobuf writer for the test vectors.
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const bytesField = (field: number, bytes: Uint8Array | number[]): number[] => [
  ...varint(field * 8 + 2),
  ...varint(bytes.length),
  ...bytes,
];
const str = (field: number, s: string): number[] => bytesField(field, [...Buffer.from(s)]);
const entry = (field: number, k: string, v: string | Buffer): number[] =>
  bytesField(field, [...str(1, k), ...(typeof v === 'string' ? str(2, v) : bytesField(2, [...v]))]);
const envelope = (apiVersion: string, kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...bytesField(1, [...str(1, apiVersion), ...str(2, kind)]),
    ...bytesField(2, raw),
  ]);

describe('Kubernetes protobuf bodies', () => {
  it('decodes a Secret as kubectl 1.33 sends it (bytes as base64, empty type dropped)', () => {
    const metadata = [
      ...str(1, 'db'),
      ...str(3, 'shop'),
      ...entry(11, 'app', 'web'),
      ...entry(11, 'tier', 'be'),
    ];
    const raw = [...bytesField(1, metadata), ...entry(2, 'password', Buffer.from('hunter2')), ...str(3, '')];
    expect(decodeProtobufObject(envelope('v1', 'Secret', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop', labels: { app: 'web', tier: 'be' } },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
  });
  it('decodes ConfigMaps and Namespaces, skipping unknown fields', () => {
    const cm = [...bytesField(1, str(1, 'cm')), ...entry(2, 'a', '1'), ...str(99, 'future field')];
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', cm))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { a: '1' },
    });
    const created = [...varint(8), ...varint(Date.parse('2026-01-01T00:00:00Z') / 1000)];
    const ns = [...bytesField(1, [...str(1, 'team'), ...bytesField(8, created)])];
    expect(decodeProtobufObject(envelope('v1', 'Namespace', ns)).metadata).toEqual({
      name: 'team',
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
  });
  it('decodes a Deployment from kubectl create deployment, keeping replicas: 0 and dropping empty fields', () => {
    const varintField = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
    const labels = entry(11, 'app', 'd');
    const container = [
      ...str(1, 'nginx'),
      ...str(2, 'nginx'),
      ...str(3, 'sh'),
      ...str(3, '-c'),
      ...bytesField(6, [...str(1, ''), ...varintField(3, 8080)]),
      ...bytesField(8, entry(1, 'cpu', Buffer.from(str(1, '100m')))),
      ...varintField(16, 0),
    ];
    const raw = [
      ...bytesField(1, [...str(1, 'd'), ...bytesField(8, []), ...labels]),
      ...bytesField(2, [
        ...varintField(1, 0),
        ...bytesField(2, bytesField(1, [...str(1, 'app'), ...str(2, 'd')])),
        ...bytesField(3, [
          ...bytesField(1, labels),
          ...bytesField(2, [...bytesField(2, container), ...str(3, '')]),
        ]),
        ...bytesField(4, str(1, '')),
      ]),
    ];
    expect(decodeProtobufObject(envelope('apps/v1', 'Deployment', raw))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels: { app: 'd' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx',
                command: ['sh', '-c'],
                ports: [{ containerPort: 8080 }],
                resources: { limits: { cpu: '100m' } },
              },
            ],
          },
        },
        strategy: {},
      },
    });
  });
  it('decodes Service ports with int and string target ports', () => {
    const port = (name: string, target: number[]) =>
      bytesField(1, [...str(1, name), ...str(2, 'TCP'), ...[24, 80], ...bytesField(4, target)]);
    const raw = [
      ...bytesField(1, str(1, 's')),
      ...bytesField(2, [
        ...port('a', [16, 0x90, 0x3f]),
        ...port('b', [8, 1, ...str(3, 'http')]),
        ...str(4, 'ClusterIP'),
      ]),
    ];
    expect(decodeProtobufObject(envelope('v1', 'Service', raw)).spec).toEqual({
      ports: [
        { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'b', protocol: 'TCP', port: 80, targetPort: 'http' },
      ],
      type: 'ClusterIP',
    });
  });
  it('answers 415 for kinds it has no schema for and 400 for malformed bodies', () => {
    expect(() => decodeProtobufObject(envelope('apps/v1', 'StatefulSet', []))).toThrow(
      expect.objectContaining({ reason: 'UnsupportedMediaType' }),
    );
    expect(() => decodeProtobufObject(Uint8Array.from([1, 2, 3, 4, 5]))).toThrow(
      expect.objectContaining({ reason: 'BadRequest' }),
    );
    const truncated = envelope('v1', 'Secret', bytesField(1, str(1, 'db'))).subarray(0, 20);
    expect(() => decodeProtobufObject(truncated)).toThrow(expect.objectContaining({ reason: 'BadRequest' }));
    const badUtf8 = envelope('v1', 'ConfigMap', bytesField(1, bytesField(1, [0xff, 0xfe])));
    expect(() => decodeProtobufObject(badUtf8)).toThrow(expect.objectContaining({ reason: 'BadRequest' }));
  });
});
