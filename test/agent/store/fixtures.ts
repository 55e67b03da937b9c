import type { KubeObject } from '../../../agent/src/api/index.ts';
import type { ObjectCommand, ObjectStore } from '../../../agent/src/store/index.ts';

export const PODS = { group: '', resource: 'pods' } as const;
export const DEPLOYMENTS = { group: 'apps', resource: 'deployments' } as const;
export const NAMESPACES = { group: '', resource: 'namespaces' } as const;

let uidCounter = 0;
/** Deterministic uids and timestamps, as the API server would put in commands. */
export function createCmd(ref: { group: string; resource: string }, object: KubeObject): ObjectCommand {
  uidCounter++;
  return {
    op: 'create',
    ...ref,
    object,
    uid: `uid-${uidCounter}`,
    creationTimestamp: '2026-01-01T00:00:00Z',
  };
}

export function pod(
  name: string,
  namespace = 'default',
  labels?: Record<string, string>,
  nodeName?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
  } as KubeObject;
}

/** Applies and returns the single object result, failing the test on an error result. */
export function ok(store: ObjectStore, cmd: ObjectCommand): KubeObject {
  const out = store.apply(cmd);
  const r = out.results[0];
  if (r === undefined || !r.ok) throw new Error(`expected success, got ${JSON.stringify(r)}`);
  return r.object;
}

export function fail(
  store: ObjectStore,
  cmd: ObjectCommand,
): { reason: string; message: string; code: number } {
  const out = store.apply(cmd);
  const r = out.results[0];
  if (r === undefined || r.ok) throw new Error(`expected failure, got ${JSON.stringify(r)}`);
  return r.status;
}

export function withNamespaces(store: ObjectStore, ...names: string[]): void {
  for (const n of names) ok(store, createCmd(NAMESPACES, { metadata: { name: n } }));
}

export const clone = <T>(x: T): T => structuredClone(x);
