// Objects for controller tests, shaped as the API server stores them (defaulted, with uids).
import type { Deployment, KubeObject, Pod, ReplicaSet } from '../../../agent/src/api/index.ts';
import { applyDefaults } from '../../../agent/src/api/index.ts';

export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const iso = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

let uid = 0;
let rv = 100;
export function stored<T extends KubeObject>(o: T, createdAt = NOW - 60_000): T {
  const x = structuredClone(o);
  x.metadata.uid ??= `uid-${++uid}`;
  x.metadata.resourceVersion ??= String(++rv);
  x.metadata.creationTimestamp ??= iso(createdAt);
  x.metadata.generation ??= 1;
  x.metadata.namespace ??= 'default';
  return x;
}

export const template = (labels: Record<string, string>, image = 'web:1') => ({
  metadata: { labels },
  spec: { containers: [{ name: 'web', image }] },
});

export function replicaSet(
  name: string,
  replicas: number,
  labels = { app: 'web' },
  extra: Partial<ReplicaSet['spec']> = {},
): ReplicaSet {
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: labels }, template: template(labels), ...extra },
  };
  applyDefaults('apps/replicasets', rs);
  return stored(rs);
}

export function deployment(
  name: string,
  replicas: number,
  extra: Partial<Deployment['spec']> = {},
  image = 'web:1',
): Deployment {
  const d: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: template({ app: name }, image),
      ...extra,
    },
  };
  applyDefaults('apps/deployments', d);
  return d;
}

export interface PodState {
  owner?: KubeObject;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  readySince?: number;
  createdAt?: number;
  labels?: Record<string, string>;
  restarts?: number;
  deleting?: boolean;
}

export function pod(name: string, s: PodState = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: s.labels ?? { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'web:1' }] },
    status: { phase: s.phase ?? (s.node ? 'Running' : 'Pending') },
  };
  if (s.owner !== undefined)
    p.metadata.ownerReferences = [
      {
        apiVersion: s.owner.apiVersion ?? '',
        kind: s.owner.kind ?? '',
        name: s.owner.metadata.name ?? '',
        uid: s.owner.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  if (s.node !== undefined) p.spec.nodeName = s.node;
  if (s.ready !== undefined && p.status)
    p.status.conditions = [
      {
        type: 'Ready',
        status: s.ready ? 'True' : 'False',
        lastTransitionTime: iso(s.readySince ?? NOW - 30_000),
      },
    ];
  if (s.restarts !== undefined && p.status)
    p.status.containerStatuses = [
      { name: 'web', ready: s.ready ?? false, restartCount: s.restarts, image: 'web:1', imageID: '' },
    ];
  if (s.deleting) p.metadata.deletionTimestamp = iso(NOW);
  return stored(p, s.createdAt);
}

/** The object as a client would send it: without what the server assigns. */
export function fresh<T extends KubeObject>(o: T): T {
  const x = structuredClone(o);
  delete x.metadata.uid;
  delete x.metadata.resourceVersion;
  delete x.metadata.creationTimestamp;
  delete x.metadata.generation;
  return x;
}
